"""The local Prefect server of command-line runs: started by the first command that needs it, shared by the commands
that follow, stopped once no command has used it for a while (`tasks.running.service`: its files, locks and idle
stop).

One server per Prefect home (`prefect_defaults.command_line_home`), Python environment and Prefect release: Prefect's
API as its own temporary server runs it (`create_app(ephemeral=True)`: the API and the services of an ephemeral
server, no UI), on a port of 127.0.0.1, over the home's SQLite database. A command pays for its start (4-7 s of CPU,
the first one on a new home also the database's migration) only when none is running, and then at its first line,
so that the start overlaps the command's imports and the extraction processes' start. It stops after no command
has used it for PAGEFOLD_PREFECT_IDLE_S seconds (default 600; 0: as soon as the last command ends). Its own output
(a command stopped mid-request makes it print tracebacks) goes to `server.log` in the home.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import urllib.request
from importlib.metadata import version
from pathlib import Path

from tasks.running.service import SharedService, digest, stop_when_idle

IDLE_ENV = "PAGEFOLD_PREFECT_IDLE_S"
TIMEOUT_ENV = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"  # set in prefect_defaults.DEFAULTS


class LocalServer(SharedService):
    """The home's Prefect server (see `SharedService`); `api_url`: where its API listens."""

    name = "server"
    module = "flows.local_server"
    idle_env = IDLE_ENV
    idle_s = 600.0  # an operator's commands minutes apart share one server; an idle one costs memory, little CPU

    @classmethod
    def environment_key(cls) -> str:
        return digest(sys.prefix, version("prefect"))

    def _environment(self) -> dict[str, str]:
        # The home's own database, whatever this process's Prefect uses; no block registration at start-up (it
        # imports every installed Prefect collection, Dask's among them: 1 s, for blocks these runs do not use).
        env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_UI_URL", "PREFECT_PROFILE")
               and "DATABASE_CONNECTION_URL" not in k}
        env.update(PREFECT_HOME=str(self.home), PREFECT_SERVER_REGISTER_BLOCKS_ON_START="false",
                   PREFECT_SERVER_MEMOIZE_BLOCK_AUTO_REGISTRATION="false")
        return env

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

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
                if not self.alive():
                    raise RuntimeError(f"the local Prefect server exited (its log: {self.log})") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the local Prefect server did not answer at {self.api_url} (its log: "
                                       f"{self.log})") from None
                time.sleep(0.05)


def serve(home: Path, key: str, fd: int, idle_s: float) -> None:
    """The server process: Prefect's API on the listening socket `fd` until no command has used it for `idle_s`."""
    import uvicorn

    from prefect.server.api.server import create_app

    config = uvicorn.Config(create_app(ephemeral=True, final=True), log_level="error", lifespan="on")
    server = uvicorn.Server(config)
    threading.Thread(target=stop_when_idle, args=(home, LocalServer.name, key, idle_s, lambda: server.should_exit,
                                                  lambda: setattr(server, "should_exit", True)), daemon=True).start()
    server.run(sockets=[socket.socket(fileno=fd)])


if __name__ == "__main__":
    serve(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
