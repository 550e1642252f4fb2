"""Where deployed runs read their configuration: a parameter, the environment, or a Prefect variable.

Deployments run unattended, so their source, destination, S3 endpoint and
scale-out settings come from the machine that executes them (environment
variables) or from the Prefect UI (variables), never from code. Secrets are
never parameters: S3 credentials come from boto3's standard chain, or from
two Prefect Secret blocks when that chain finds none. The configuration
table of docs/operating.md lists every name.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass

from flows import telemetry
from schemas import PAGE_KINDS
from tasks.health.drift import DriftRules
from tasks.lake.storage import SetupError

telemetry.keep_off()  # before the flow modules that import this one define their flows

SECRET_BLOCKS = {"AWS_ACCESS_KEY_ID": "pagefold-aws-access-key-id",
                 "AWS_SECRET_ACCESS_KEY": "pagefold-aws-secret-access-key"}


class MissingSetting(SetupError):
    """A required setting is in none of the places it may come from."""


@dataclass(frozen=True)
class Settings:
    source: str
    dest: str
    s3_endpoint: str | None
    origins: tuple[str, str, str] = ("", "", "")  # where source, dest and the S3 endpoint came from

    def describe(self) -> str:
        """One line: `source s3://raw/pages (PAGEFOLD_SOURCE), lake s3://lake (variable pagefold_dest), S3
        endpoint AWS`."""
        endpoint = f"{self.s3_endpoint} ({self.origins[2]})" if self.s3_endpoint else "AWS"
        return (f"source {self.source} ({self.origins[0]}), lake {self.dest} ({self.origins[1]}), "
                f"S3 endpoint {endpoint}")


def setting(name: str, explicit: str | None = None) -> str | None:
    """`explicit`, else the environment's PAGEFOLD_<NAME>, else the Prefect variable pagefold_<name>."""
    return setting_and_origin(name, explicit)[0]


def setting_and_origin(name: str, explicit: str | None = None) -> tuple[str | None, str]:
    """A setting and where it came from: `parameter`, `PAGEFOLD_<NAME>` or `variable pagefold_<name>` (`not set`)."""
    if explicit:
        return explicit, "parameter"
    from_env = os.environ.get(f"PAGEFOLD_{name.upper()}")
    if from_env:
        return from_env, f"PAGEFOLD_{name.upper()}"
    from prefect.variables import Variable

    value = Variable.get(f"pagefold_{name.lower()}", default=None)
    return (str(value), f"variable pagefold_{name.lower()}") if value else (None, "not set")


def how_to_set(name: str) -> str:
    """What an operator does to give a missing setting, in one clause."""
    return (f"set PAGEFOLD_{name.upper()} where the worker runs, or run `prefect variable set pagefold_{name.lower()} "
            f"{EXAMPLES.get(name, 'VALUE')}`, or pass {name} as a parameter of the run")


EXAMPLES = {"source": "s3://bucket/raw-pages", "dest": "s3://bucket/lake"}


def resolve(source: str | None, dest: str | None, s3_endpoint: str | None = None) -> Settings:
    """The run's locations; S3 credentials from Prefect Secret blocks if boto3 finds none where it looks."""
    found = {name: setting_and_origin(name, explicit) for name, explicit in (("source", source), ("dest", dest))}
    for name, (value, _) in found.items():
        if not value:
            raise MissingSetting(f"no {name} given: {how_to_set(name)}")
    endpoint, endpoint_origin = s3_endpoint_and_origin(s3_endpoint)
    settings = Settings(found["source"][0], found["dest"][0], endpoint,
                        (found["source"][1], found["dest"][1], endpoint_origin))
    if any(url.startswith("s3://") for url in (settings.source, settings.dest)):
        load_secret_credentials()
    return settings


def s3_endpoint_and_origin(explicit: str | None = None) -> tuple[str | None, str]:
    """The S3 endpoint: the parameter, else AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, else PAGEFOLD_S3_ENDPOINT or
    the variable pagefold_s3_endpoint; and where it came from."""
    if explicit:
        return explicit, "parameter"
    for variable in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        if os.environ.get(variable):
            return os.environ[variable], variable
    return setting_and_origin("s3_endpoint")


def drift_rules() -> DriftRules:
    """The drift alarms' thresholds: each of PAGEFOLD_DRIFT_MIN_PAGES, PAGEFOLD_DRIFT_FILL_DROP_POINTS, ... or its
    Prefect variable (pagefold_drift_min_pages, ...), else the default of `DriftRules`; SetupError for a value
    that is not a number."""
    try:
        return DriftRules.from_settings(setting)
    except ValueError as exc:
        raise SetupError(f"a drift alarm threshold is not a number ({exc}): fix its PAGEFOLD_DRIFT_... variable or "
                         "its Prefect variable pagefold_drift_...") from None


def who_runs() -> str:
    """Who runs this flow run: `run by worker NAME on HOST` under a Prefect worker, else `run by process PID on
    HOST`."""
    worker = os.environ.get("PREFECT__WORKER_NAME")
    host = socket.gethostname()
    return f"run by worker {worker} on {host}" if worker else f"run by process {os.getpid()} on {host}"


def setup_failed(error: SetupError):
    """The state of a run that cannot work as configured: Failed, its message the error's one sentence, logged once
    as an ERROR line and never as a traceback (Prefect's engine would print one in the worker's terminal)."""
    from prefect import get_run_logger
    from prefect.states import Failed

    get_run_logger().error("%s", error)
    engine_log = logging.getLogger("prefect.flow_runs")
    if not any(isinstance(f, _SetupErrorSaidOnce) for f in engine_log.filters):
        engine_log.addFilter(_SetupErrorSaidOnce())
    return Failed(data=error, message=str(error))


class _SetupErrorSaidOnce(logging.Filter):
    """Drops the engine's "Engine execution exited with unexpected exception" record, traceback and all, when the
    exception is a SetupError: the run's own ERROR line and its Failed state already say it in one sentence."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, SetupError)


def keep_kinds(explicit: list[str] | None = None) -> tuple[str, ...] | None:
    """The page kinds a run writes as documents: `explicit`, else PAGEFOLD_KEEP_KINDS or the Prefect variable
    pagefold_keep_kinds (kinds separated by commas, "article,forum"); None (every kind) when none is set.

    Raises SetupError naming a word that is not a kind (schemas.PAGE_KINDS), or a list without `article`:
    articles are what the lake is for, never set aside.
    """
    raw = explicit if explicit else (setting("keep_kinds") or "").split(",")
    kinds = tuple(dict.fromkeys(k.strip().lower() for k in raw if k and k.strip()))
    if not kinds:
        return None
    unknown = [k for k in kinds if k not in PAGE_KINDS]
    if unknown:
        raise SetupError(f"keep_kinds: {', '.join(unknown)} is not a page kind; the kinds are {', '.join(PAGE_KINDS)}")
    if "article" not in kinds:
        raise SetupError("keep_kinds must include article: articles are never set aside")
    return kinds


def load_secret_credentials() -> None:
    """Put the Secret blocks' credentials in this process's environment, where boto3 and pyarrow read them."""
    import boto3  # here, not at the top: a run on local folders never needs it (0.3 s of CPU)

    if boto3.session.Session().get_credentials() is not None:
        return
    from prefect.blocks.system import Secret

    for variable, block in SECRET_BLOCKS.items():
        try:
            os.environ[variable] = Secret.load(block).get()
        except ValueError:  # no such block: boto3 reports the missing credentials when it needs them
            return
