"""Where deployed runs read their configuration: a parameter, the environment, or a Prefect variable.

Deployments run unattended, so their source, destination, S3 endpoint and
scale-out settings come from the machine that executes them (environment
variables) or from the Prefect UI (variables), never from code. Secrets are
never parameters: S3 credentials come from boto3's standard chain, or from
two Prefect Secret blocks when that chain finds none. The configuration
table of docs/operating.md lists every name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import boto3

from schemas import PAGE_KINDS
from tasks.health.drift import DriftRules
from tasks.lake.storage import SetupError, endpoint_from_env

SECRET_BLOCKS = {"AWS_ACCESS_KEY_ID": "pagefold-aws-access-key-id",
                 "AWS_SECRET_ACCESS_KEY": "pagefold-aws-secret-access-key"}


class MissingSetting(Exception):
    """A required setting is in none of the places it may come from."""


@dataclass(frozen=True)
class Settings:
    source: str
    dest: str
    s3_endpoint: str | None


def setting(name: str, explicit: str | None = None) -> str | None:
    """`explicit`, else the environment's PAGEFOLD_<NAME>, else the Prefect variable pagefold_<name>."""
    if explicit:
        return explicit
    from_env = os.environ.get(f"PAGEFOLD_{name.upper()}")
    if from_env:
        return from_env
    from prefect.variables import Variable

    value = Variable.get(f"pagefold_{name.lower()}", default=None)
    return str(value) if value else None


def required(name: str, explicit: str | None = None) -> str:
    value = setting(name, explicit)
    if not value:
        raise MissingSetting(f"no {name} given: pass it as a parameter, set PAGEFOLD_{name.upper()} where runs "
                             f"execute, or create the Prefect variable pagefold_{name.lower()}")
    return value


def resolve(source: str | None, dest: str | None, s3_endpoint: str | None = None) -> Settings:
    """The run's locations; S3 credentials from Prefect Secret blocks if boto3 finds none where it looks."""
    settings = Settings(required("source", source), required("dest", dest),
                        endpoint_from_env(s3_endpoint) or setting("s3_endpoint"))
    if any(url.startswith("s3://") for url in (settings.source, settings.dest)):
        load_secret_credentials()
    return settings


def drift_rules() -> DriftRules:
    """The drift alarms' thresholds: each of PAGEFOLD_DRIFT_MIN_PAGES, PAGEFOLD_DRIFT_FILL_DROP_POINTS, ... or its
    Prefect variable (pagefold_drift_min_pages, ...), else the default of `DriftRules`."""
    return DriftRules.from_settings(setting)


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
    if boto3.session.Session().get_credentials() is not None:
        return
    from prefect.blocks.system import Secret

    for variable, block in SECRET_BLOCKS.items():
        try:
            os.environ[variable] = Secret.load(block).get()
        except ValueError:  # no such block: boto3 reports the missing credentials when it needs them
            return
