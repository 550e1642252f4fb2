"""The Makefile's targets hand each command the Prefect it should use: its own temporary one, or `make server`'s."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def prefect_environment(target: str, tmp_path: Path) -> dict[str, str]:
    """The PREFECT_* variables (and DO_NOT_TRACK) the target's command receives (its tools replaced by one that
    prints them)."""
    fake = tmp_path / "bin"
    fake.mkdir()
    for tool in ("pagefold", "python", "prefect"):
        script = fake / tool
        script.write_text("#!/bin/sh\nenv | grep -e '^PREFECT_' -e '^DO_NOT_TRACK=' || true\n")
        script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_", "MAKE", "DO_NOT_TRACK"))}
    result = subprocess.run(["make", "--no-print-directory", "--always-make", "-o", ".venv/.installed", target,
                             f"BIN={fake}"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return dict(line.split("=", 1) for line in result.stdout.splitlines()
                if line.startswith(("PREFECT_", "DO_NOT_TRACK=")))


@pytest.mark.parametrize("target", ["demo", "test", "quality"])
def test_commands_that_start_their_own_prefect_get_no_server_address(target, tmp_path):
    assert "PREFECT_API_URL" not in prefect_environment(target, tmp_path)


@pytest.mark.parametrize("target", ["deploy", "worker"])
def test_deploy_and_worker_find_the_local_server(target, tmp_path):
    assert prefect_environment(target, tmp_path)["PREFECT_API_URL"] == "http://127.0.0.1:4200/api"


@pytest.mark.parametrize("target", ["server", "deploy", "worker"])
def test_the_operators_targets_keep_prefects_telemetry_off(target, tmp_path):
    """As `pagefold` does (flows/prefect_defaults.py): issue 24's trial found `.sdk_telemetry/` in the Prefect home."""
    assert prefect_environment(target, tmp_path)["DO_NOT_TRACK"] == "1"


def make_output(target: str, tmp_path: Path, *overrides: str) -> str:
    """What `make TARGET` prints, its tools replaced by ones that do nothing."""
    fake = tmp_path / "quiet-bin"
    fake.mkdir(exist_ok=True)
    for tool in ("pagefold", "python", "prefect"):
        (fake / tool).write_text("#!/bin/sh\ntrue\n")
        (fake / tool).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_", "MAKE"))}
    return subprocess.run(["make", "--no-print-directory", "--always-make", "-o", ".venv/.installed", target,
                           f"BIN={fake}", *overrides], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.parametrize("target", ["server", "deploy"])
def test_server_and_deploy_print_the_export_line_for_the_operators_shell(target, tmp_path):
    """Without PREFECT_API_URL in their shell, `prefect deployment run` starts a second server on the same database."""
    assert "    export PREFECT_API_URL=http://127.0.0.1:4200/api\n" in make_output(target, tmp_path)
    moved = make_output(target, tmp_path, "PREFECT_SERVER_API_PORT=4300")
    exported = [line.strip() for line in moved.splitlines() if line.strip().startswith("export ")]
    assert exported == ["export PREFECT_API_URL=http://127.0.0.1:4300/api"]
