"""Prefect settings for the embedded default: a local, server-less Prefect with clean output.

Imported before Prefect by the command line and the tests. Each value in
DEFAULTS is only a default: a setting already in the environment wins. A
`prefect.toml` would not do: Prefect reads it from the current directory only.

The command line also chooses which Prefect its runs go to (`use_prefect`):
an operator's server only when asked (`--prefect-api` or
PAGEFOLD_PREFECT_API_URL), else a temporary local server over a Prefect home
of Pagefold's own, so that command-line runs never land in the database or
UI of `make server` (which uses ~/.prefect), even when the operator's shell
exports PREFECT_API_URL. That home stays migrated between runs.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

DEFAULTS = {
    # The first start on a fresh PREFECT_HOME migrates SQLite for 20-35 s here; Prefect's default time-out is 20 s.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    # Server telemetry tries the internet and logs errors (even tracebacks) where there is none.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # Without it, `import prefect` prints a usage-data notice on a terminal.
    "DO_NOT_TRACK": "1",
}
if sys.stdout.isatty():
    # On a terminal the live progress bar replaces per-task INFO lines; they still reach the Prefect API and UI.
    DEFAULTS["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "WARNING"

for key, value in DEFAULTS.items():
    os.environ.setdefault(key, value)

API_URL_ENV = "PAGEFOLD_PREFECT_API_URL"
HOME_ENV = "PAGEFOLD_PREFECT_HOME"


def command_line_home() -> Path:
    """Prefect home of command-line runs: PAGEFOLD_PREFECT_HOME, else $XDG_STATE_HOME/pagefold/prefect
    (default ~/.local/state/pagefold/prefect)."""
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV])
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "pagefold" / "prefect"


def use_prefect(api_url: str | None) -> str | None:
    """Send this process's flow runs to `api_url`, or to a temporary local server on Pagefold's own home.

    Must run before Prefect is imported (Prefect reads its settings once). An exported PREFECT_API_URL
    or PREFECT_PROFILE is set aside unless `api_url` is given. Returns a line for the user when the
    choice may surprise them (a server given, or an exported PREFECT_API_URL not used), else None.
    """
    if api_url:
        os.environ["PREFECT_API_URL"] = api_url
        return f"Prefect: the server at {api_url}"
    ignored = os.environ.pop("PREFECT_API_URL", None)
    os.environ.pop("PREFECT_PROFILE", None)
    home = command_line_home()
    # Prefect creates its home without parents: on a new machine ~/.local/state may not exist yet.
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ["PREFECT_HOME"] = str(home)
    # Registering block types at start-up first imports every installed Prefect collection (Dask's among them):
    # about 1 s of the temporary server's start, for blocks that command-line runs do not use.
    os.environ.setdefault("PREFECT_SERVER_REGISTER_BLOCKS_ON_START", "false")
    os.environ.setdefault("PREFECT_SERVER_MEMOIZE_BLOCK_AUTO_REGISTRATION", "false")
    if ignored:
        return f"Prefect: a temporary local server; PREFECT_API_URL={ignored} is not used (--prefect-api URL runs there)"
    return None


class TemporaryServer:
    """A temporary Prefect API for this command's runs, in a subprocess started before Prefect is imported.

    The API Prefect itself would start when none is configured (`create_app(ephemeral=True)`: the API and
    the services of an ephemeral server, no UI), but started at the command's first line, so that
    its few CPU seconds of start-up overlap the command's own imports and the extraction pool's start
    instead of following them; the command's Prefect finds it in PREFECT_API_URL. Stopped at exit.
    """

    def __init__(self) -> None:
        with socket.socket() as probe:  # a free port; the server binds it a moment later
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.api_url = f"http://127.0.0.1:{port}/api"
        command = [sys.executable, "-m", "uvicorn", "--factory", f"{__name__}:temporary_api", "--host", "127.0.0.1",
                   "--port", str(port), "--log-level", "error", "--lifespan", "on"]
        # Its output goes to a log: killed while a request is under way (a stopped command), it prints tracebacks.
        self.log = Path(os.environ.get("PREFECT_HOME") or tempfile.gettempdir()) / "temporary-server.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            preexec_fn=_detach_but_die_with_parent)
        os.environ["PREFECT_API_URL"] = self.api_url
        os.environ["PREFECT_UI_URL"] = ""  # it has no UI: no "View at <url>" line for a page that does not exist
        atexit.register(self.stop)

    def ready(self, timeout_s: float | None = None) -> None:
        """Wait until the API answers (the first start on a new home migrates its database: 20-35 s here).

        Raises RuntimeError when the server exits or does not answer within
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.
        """
        deadline = time.monotonic() + (timeout_s or float(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"]))
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the temporary Prefect server exited with status {self.process.returncode} "
                                   f"(its log: {self.log})")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the temporary Prefect server did not answer at {self.api_url} (its log: "
                                       f"{self.log})") from None
                time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a second: still importing Prefect, the server answers SIGTERM only some 5 s
        later, which would hold up a command stopped by Ctrl-C (its SQLite database survives a kill)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _detach_but_die_with_parent() -> None:
    """In the server's process before it starts: a session of its own, so that a Ctrl-C in the terminal reaches
    only the command, which can then still report its flow run's end to this server before stopping it; and,
    on Linux, SIGTERM when the command dies, even by SIGKILL, so that no server outlives it."""
    os.setsid()
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def temporary_api():
    """The ASGI app of `TemporaryServer` (uvicorn's factory): Prefect's API as its own temporary server runs it."""
    from prefect.server.api.server import create_app

    return create_app(ephemeral=True, final=True)
