"""A helper process shared by the commands of one home: started by the first command that needs it, used by the
commands that follow, stopped once none has used it for a while.

Two kinds subclass `SharedService`: the local Prefect server of command-line runs (`flows.local_server`) and the
warm extraction workers (`tasks.running.shared_workers`). Each listens on a port of 127.0.0.1 that the command
starting it binds and hands over (no other process can take it meanwhile), so that its address is known, and
connections queue, before it has even started.

Files in the home, `<name>` naming the kind and `<key>` the environment it serves (`key()`: a service of another
Python environment, release or setting is never used; it stops when idle):
  <name>-<key>.json   the running service: its process id, port, module and whatever the kind adds
  <name>-<key>.lock   held by the command that starts it, so that commands starting at once start one
  <name>-<key>.users  every command that uses it holds a shared lock on it until it exits or releases it; the
                      service stops after no command has held one for its idle time (the kind's IDLE_ENV, in
                      seconds)
  <name>.log          the service's own output
Locks are `flock` locks: the kernel drops those of a process that dies, so a killed command never keeps a service
alive, and a killed service leaves only a stale state file, which the next command replaces.
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
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

CHECK_EVERY_S = 5.0  # how often a service looks for commands using it (more often for a short idle time)


def digest(*parts: object) -> str:
    """`parts` in 12 hex digits: a service's key."""
    return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[:12]


class SharedService:
    """The home's service of this kind, as this process uses it: found running, or started now (in a process and
    session of its own, which outlives this one). Until this process exits or calls `release`, it counts as a
    user of the service, which does not stop while it has one. `pid`, `port`, `state`: the running service's."""

    name: ClassVar[str]  # its files' names
    module: ClassVar[str]  # it runs as `python -P -m module HOME KEY FD IDLE_S`, its main calling `serve`
    idle_env: ClassVar[str]
    idle_s: ClassVar[float]

    def __init__(self, home: Path):
        self.home = home
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.key = self.environment_key()
        self.log = home / f"{self.name}.log"
        # The shared lock first: a service that finds no user from now on stays up for this command.
        self._users = open(self._file("users"), "a")
        fcntl.flock(self._users, fcntl.LOCK_SH)  # waits only while an idle service retires (it holds LOCK_EX then)
        state = self._running()
        if state is None:
            with open(self._file("lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # another command may be starting it right now
                state = self._running() or self._start()
        self.state = state
        self.pid, self.port = state["pid"], state["port"]

    @classmethod
    def environment_key(cls) -> str:
        """What a service must share with the commands it serves (by default: the Python environment)."""
        return digest(sys.prefix)

    def _environment(self) -> dict[str, str]:
        """The service's environment variables (by default: this process's)."""
        return dict(os.environ)

    def _secrets(self) -> dict[str, str]:
        """Values the service gets in its environment and the state file records, not on its command line."""
        return {}

    def _file(self, suffix: str) -> Path:
        return self.home / f"{self.name}-{self.key}.{suffix}"

    def _running(self) -> dict | None:
        """The state of the service its file names, if that process is still one of this kind and key."""
        try:
            state = json.loads(self._file("json").read_text())
        except (OSError, ValueError):
            return None
        return state if "port" in state and _is_service(state.get("pid"), self.module, self.key) else None

    def _start(self) -> dict:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        idle = os.environ.get(self.idle_env) or str(self.idle_s)
        secrets = self._secrets()
        env = {**self._environment(), **secrets}
        # -P: the module from where the command imported it, never from a checkout that happens to be the
        # current directory.
        command = [sys.executable, "-P", "-m", self.module, str(self.home), self.key, str(listener.fileno()), idle]
        with listener, open(self.log, "wb") as log:
            # A session of its own: a Ctrl-C in the terminal reaches only the command. It inherits no descriptor
            # but the socket (a pipe it kept open would hold up whoever waits for the command's output), and its
            # working directory is the home, not the command's (which may be a folder removed meanwhile).
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                       cwd=self.home, pass_fds=[listener.fileno()], start_new_session=True)
            port = listener.getsockname()[1]
        # Reaped when it exits, should this process still run then (it does not wait for the service otherwise).
        threading.Thread(target=process.wait, name=f"pagefold-{self.name}", daemon=True).start()
        state = {"pid": process.pid, "port": port, "module": self.module, **secrets}
        temporary = self._file("tmp")
        temporary.touch(mode=0o600)
        temporary.write_text(json.dumps(state))
        temporary.replace(self._file("json"))
        return state

    def alive(self) -> bool:
        return _is_service(self.pid, self.module, self.key)

    def release(self, stop_if_unused: bool = False) -> None:
        """No longer a user of the service; with `stop_if_unused`, stop it now unless another process uses it."""
        self._users.close()
        if stop_if_unused:
            stop_unused(self.home, self.name, self.key)


def stop_unused(home: Path, name: str, key: str) -> None:
    """Stop the service `name` of `key` in `home` now, unless a process uses it (it then stops once idle)."""
    with open(home / f"{name}-{key}.users", "a") as users:
        for _ in range(20):  # the service itself holds the lock for a moment now and then
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                time.sleep(0.05)
                continue
            stop_services(home, name, key)
            return


def _is_service(pid: object, module: str, key: str) -> bool:
    """Whether `pid` is a live service running `module` for `key` (not another process that got its number since)."""
    import psutil

    if not isinstance(pid, int):
        return False
    try:
        command = psutil.Process(pid).cmdline()
    except psutil.Error:
        return False
    return module in command and key in command


def stop_services(home: str | Path, name: str = "*", key: str = "*") -> None:
    """Stop the services of `home` (by default of every kind and environment) now, and wait until they have
    exited."""
    for state_file in Path(home).glob(f"{name}-{key}.json"):
        service_key = state_file.stem.rpartition("-")[2]
        try:
            state = json.loads(state_file.read_text())
        except (OSError, ValueError):
            continue
        pid, module = state.get("pid"), state.get("module", "flows.local_server")
        if _is_service(pid, module, service_key):
            os.kill(pid, signal.SIGTERM)  # it stops what it started
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


def stop_when_idle(home: Path, name: str, key: str, idle_s: float, stopped: Callable[[], bool],
                   stop: Callable[[], None]) -> None:
    """In the service: call `stop()` once no command has held its users lock for `idle_s` seconds (and return
    once `stopped()`). The state file goes first, while the exclusive lock keeps new commands waiting: they then
    start a service of their own."""
    idle_since = time.monotonic()
    with open(home / f"{name}-{key}.users", "a") as users:
        while not stopped():
            time.sleep(max(0.2, min(CHECK_EVERY_S, idle_s / 4)))
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # a command is using it
                idle_since = time.monotonic()
                continue
            try:
                if time.monotonic() - idle_since >= idle_s:
                    state_file = home / f"{name}-{key}.json"
                    try:
                        if json.loads(state_file.read_text()).get("pid") == os.getpid():
                            state_file.unlink()
                    except (OSError, ValueError):
                        pass
                    stop()
                    return
            finally:
                fcntl.flock(users, fcntl.LOCK_UN)
