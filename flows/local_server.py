"""The local Prefect server of command-line runs: started by the first command that needs it, shared by the commands
that follow, stopped once no command has used it for a while.

One server per Prefect home (`prefect_defaults.command_line_home`) and Python environment: Prefect's API as
its own temporary server runs it (`create_app(ephemeral=True)`: the API and the services of an ephemeral
server, no UI), on a port of 127.0.0.1, over the home's SQLite database. A command pays for its start (4-7 s
of CPU, the first one on a new home also the database's migration) only when none is running, and then at
its first line, so that the start overlaps the command's imports and the extraction processes' start.

Files in the home, `<key>` naming the Python environment and its Prefect version (a server of another venv or
release is never used; it stops when idle):
  server-<key>.json   the running server: its process id and API URL
  server-<key>.lock   held by the command that starts the server, so that commands starting at once start one
  server-<key>.users  every command that uses the server holds a shared lock on it until it exits; the server
                      stops after no command has held one for PAGEFOLD_PREFECT_IDLE_S seconds (default 600; 0:
                      as soon as the last command ends)
  server.log          the server's own output (a command stopped mid-request makes it print tracebacks)
Locks are `flock` locks: the kernel drops those of a process that dies, so a killed command never keeps the
server alive, and a killed server leaves only a stale state file, which the next command replaces.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from importlib.metadata import version
from pathlib import Path

IDLE_ENV = "PAGEFOLD_PREFECT_IDLE_S"
IDLE_S = 600.0  # an operator's commands minutes apart share one server; an idle one costs memory, little CPU
CHECK_EVERY_S = 5.0  # how often the server looks for commands using it (more often for a short idle time)
MODULE = "flows.local_server"  # the server runs as `python -m MODULE HOME KEY FD IDLE_S`
TIMEOUT_ENV = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"  # set in prefect_defaults.DEFAULTS


def _key() -> str:
    """This Python environment and its Prefect release, in 12 hex digits."""
    return hashlib.sha256(f"{sys.prefix}\0{version('prefect')}".encode()).hexdigest()[:12]


class LocalServer:
    """The home's server, as this process uses it: found running, or started now (in a process of its own, which
    outlives this one). Until this process exits or calls `release`, it counts as a user of the server, which
    does not stop while it has one. `api_url`: where its API listens."""

    def __init__(self, home: Path):
        self.home = home
        self.key = _key()
        self.log = home / "server.log"
        # The shared lock first: a server that finds no user from now on stays up for this command.
        self._users = open(home / f"server-{self.key}.users", "a")
        fcntl.flock(self._users, fcntl.LOCK_SH)  # waits only while an idle server retires (it holds LOCK_EX then)
        state = self._running()
        if state is None:
            with open(home / f"server-{self.key}.lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # another command may be starting it right now
                state = self._running() or self._start()
        self.pid, self.api_url = state["pid"], state["api_url"]

    @property
    def state_file(self) -> Path:
        return self.home / f"server-{self.key}.json"

    def _running(self) -> dict | None:
        """The state of the server this file names, if that process is still a server of this home and key."""
        try:
            state = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None
        return state if _is_server(state.get("pid"), self.key) else None

    def _start(self) -> dict:
        """Start the server on a port bound here (no other process can take it meanwhile) and record it."""
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        api_url = f"http://127.0.0.1:{listener.getsockname()[1]}/api"
        # The home's own database, whatever this process's Prefect uses; no block registration at start-up (it
        # imports every installed Prefect collection, Dask's among them: 1 s, for blocks these runs do not use).
        env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_UI_URL", "PREFECT_PROFILE")
               and "DATABASE_CONNECTION_URL" not in k}
        env.update(PREFECT_HOME=str(self.home), PREFECT_SERVER_REGISTER_BLOCKS_ON_START="false",
                   PREFECT_SERVER_MEMOIZE_BLOCK_AUTO_REGISTRATION="false")
        idle = os.environ.get(IDLE_ENV) or str(IDLE_S)
        # -P: this module from where the command imported it, never from a checkout that happens to be the
        # current directory.
        command = [sys.executable, "-P", "-m", MODULE, str(self.home), self.key, str(listener.fileno()), idle]
        with listener, open(self.log, "wb") as log:
            # A session of its own: a Ctrl-C in the terminal reaches only the command. It inherits no descriptor
            # but the socket (a pipe it kept open would hold up whoever waits for the command's output), and its
            # working directory is the home, not the command's (which may be a folder removed meanwhile).
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                       cwd=self.home, pass_fds=[listener.fileno()], start_new_session=True)
        # Reaped when it exits, should this process still run then (it does not wait for the server otherwise).
        threading.Thread(target=process.wait, name="pagefold-local-server", daemon=True).start()
        pid = process.pid
        state = {"pid": pid, "api_url": api_url}
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state))
        temporary.replace(self.state_file)
        return state

    def ready(self, timeout_s: float | None = None) -> None:
        """Wait until the API answers (a first start on a new home migrates its database: 20-35 s here).

        Raises RuntimeError when the server exits or does not answer within
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.
        """
        deadline = time.monotonic() + (timeout_s or float(os.environ.get(TIMEOUT_ENV, "180")))
        while True:
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=5):
                    return
            except OSError:
                if not _is_server(self.pid, self.key):
                    raise RuntimeError(f"the local Prefect server exited (its log: {self.log})") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the local Prefect server did not answer at {self.api_url} (its log: "
                                       f"{self.log})") from None
                time.sleep(0.05)

    def release(self, stop_if_unused: bool = False) -> None:
        """No longer a user of the server; with `stop_if_unused`, stop it now unless another process uses it."""
        self._users.close()
        if stop_if_unused:
            with open(self.home / f"server-{self.key}.users", "a") as users:
                for _ in range(20):  # the server itself holds the lock for a moment now and then
                    try:
                        fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        time.sleep(0.05)
                        continue
                    stop_servers(self.home, self.key)
                    return
                # another process uses it: it stops once idle


def _is_server(pid: object, key: str) -> bool:
    """Whether `pid` is a live local server started with `key` (not another process that got its number since)."""
    import psutil

    if not isinstance(pid, int):
        return False
    try:
        command = psutil.Process(pid).cmdline()
    except psutil.Error:
        return False
    return MODULE in command and key in command


def stop_servers(home: str | Path, key: str = "*") -> None:
    """Stop the local servers of `home` (by default every Python environment's) now, and wait until they have
    exited."""
    for state_file in Path(home).glob(f"server-{key}.json"):
        server_key = state_file.stem.removeprefix("server-")
        try:
            pid = json.loads(state_file.read_text()).get("pid")
        except (OSError, ValueError):
            continue
        if _is_server(pid, server_key):
            os.kill(pid, signal.SIGTERM)  # uvicorn shuts the app down
            if not _gone(pid, timeout_s=10):
                os.kill(pid, signal.SIGKILL)
                _gone(pid, timeout_s=10)
        state_file.unlink(missing_ok=True)


def _gone(pid: int, timeout_s: float) -> bool:
    """Wait until process `pid` has exited (and reap it, if this process started it); False after `timeout_s`."""
    import psutil

    try:
        psutil.Process(pid).wait(timeout_s)
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired:
        return False
    return True


def serve(home: Path, key: str, fd: int, idle_s: float) -> None:
    """The server process: Prefect's API on the listening socket `fd` until no command has used it for `idle_s`."""
    import uvicorn

    from prefect.server.api.server import create_app

    config = uvicorn.Config(create_app(ephemeral=True, final=True), log_level="error", lifespan="on")
    server = uvicorn.Server(config)
    threading.Thread(target=_stop_when_idle, args=(server, home, key, idle_s), daemon=True).start()
    server.run(sockets=[socket.socket(fileno=fd)])


def _stop_when_idle(server, home: Path, key: str, idle_s: float) -> None:
    """Stop `server` once no command has held the users lock for `idle_s` seconds. The state file goes first,
    while the exclusive lock keeps new commands waiting: they then start a server of their own."""
    idle_since = time.monotonic()
    with open(home / f"server-{key}.users", "a") as users:
        while not server.should_exit:
            time.sleep(max(0.2, min(CHECK_EVERY_S, idle_s / 4)))
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # a command is using it
                idle_since = time.monotonic()
                continue
            try:
                if time.monotonic() - idle_since >= idle_s:
                    state_file = home / f"server-{key}.json"
                    try:
                        if json.loads(state_file.read_text()).get("pid") == os.getpid():
                            state_file.unlink()
                    except (OSError, ValueError):
                        pass
                    server.should_exit = True
            finally:
                fcntl.flock(users, fcntl.LOCK_UN)


if __name__ == "__main__":
    serve(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
