"""Prefect settings for the embedded default: a local, server-less Prefect with clean output.

Imported before Prefect by the command line and the tests. Each value in
DEFAULTS is only a default: a setting already in the environment wins. A
`prefect.toml` would not do: Prefect reads it from the current directory only.

The command line also chooses which Prefect its runs go to (`use_prefect`):
an operator's server only when asked (`--prefect-api` or
PAGEFOLD_PREFECT_API_URL), else the local server of a Prefect home of
Pagefold's own (`flows.local_server`), so that command-line runs never land
in the database or UI of `make server` (which uses ~/.prefect), even when the
operator's shell exports PREFECT_API_URL. That home stays migrated between runs.
"""

from __future__ import annotations

import os
import sys
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
    """Send this process's flow runs to `api_url`, or to the local server of Pagefold's own home.

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
    if ignored:
        return f"Prefect: the local server of {home}; PREFECT_API_URL={ignored} is not used (--prefect-api URL runs there)"
    return None
