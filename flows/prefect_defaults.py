"""Prefect settings for the embedded default: a local, server-less Prefect with clean output.

Imported before Prefect by the command line. Each value is only a default:
a setting already in the environment (or a Prefect profile pointing at a
real server) wins.
"""

import os

DEFAULTS = {
    # First start on a fresh PREFECT_HOME migrates SQLite for ~30 s; the default time-out is 20 s.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    # Telemetry tries to reach the internet; this machine class has none.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
}

for key, value in DEFAULTS.items():
    os.environ.setdefault(key, value)
