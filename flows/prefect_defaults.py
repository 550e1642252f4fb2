"""Prefect settings for the embedded default: a local, server-less Prefect with clean output.

Imported before Prefect by the command line and the tests. Each value is
only a default: a setting already in the environment (or a Prefect profile
pointing at a real server) wins. A `prefect.toml` would not do: Prefect
reads it from the current directory only.
"""

import os
import sys

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
