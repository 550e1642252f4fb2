"""The README and the guides in docs/ as a user follows them: the demo output they show, their commands and
queries run as written, and their links.

A module fixture plays a user's checkout after `make demo`: a folder with `.venv` linked to this one, in
which `.venv/bin/pagefold demo` (what `make demo` runs) writes `demo-output/`. Then

- each sample of the demo's output they show equals what that run printed (timings aside);
- every `.venv/bin/pagefold` line of their ```sh blocks, every ```sql block and every ```python block runs
  from that folder without error. The S3 buckets they name are moto's: the demo's lake under every lake
  URI, its raw pages under every `--source`. Other lines of ```sh blocks (make, export, pip) are not run
  here: the make targets have tests of their own;
- every relative link points to a file that exists and, with a `#anchor`, to a heading of that file.

`.venv/bin/python -m tests.test_readme --write` runs the demo and writes its output into the files.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
SAMPLE = re.compile(r"(<!-- demo-output: (?P<name>[a-z ]+?)(?: \(.*?\))? -->\n```text\n)(?P<body>.*?)(```)", re.S)
TIMINGS = re.compile(r"(│ (?:seconds|pages per second) +│) +[\d.]+ │")


def code_blocks(language: str) -> list[str]:
    """The ```language blocks of the README and the guides, in order, each once."""
    blocks = [block for page in PAGES
              for block in re.findall(rf"^```{language}\n(.*?)^```", page.read_text("utf-8"), re.S | re.M)]
    return list(dict.fromkeys(blocks))


def user_env(home: Path, **extra: str) -> dict[str, str]:
    """A user's shell: no Prefect or Pagefold settings of ours, a Prefect home of the test's, a 100-column width."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_"))}
    env.update({"PAGEFOLD_PREFECT_HOME": str(home), "COLUMNS": "100", **extra})
    return env


def run_demo(checkout: Path, home: Path, **env: str) -> str:
    """`.venv/bin/pagefold demo` in a folder standing for the user's checkout; its standard output."""
    if not (checkout / ".venv").exists():
        (checkout / ".venv").symlink_to(ROOT / ".venv")
    result = subprocess.run([".venv/bin/pagefold", "demo"], cwd=checkout, env=user_env(home, **env), capture_output=True,
                            text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def demo_samples(stdout: str) -> dict[str, str]:
    """The parts of the demo's output the README shows: the run summary, the top entities and the stories tables."""
    lines = stdout.splitlines()

    def table_after(marker: str) -> str:
        start = next(i for i, line in enumerate(lines) if line.startswith(marker))
        top = next(i for i in range(start, len(lines)) if lines[i].startswith(("┌", "┏")))
        bottom = next(i for i in range(top, len(lines)) if lines[i].startswith("└"))
        return "\n".join(line.rstrip() for line in lines[top:bottom + 1]) + "\n"

    return {"summary": table_after("Demo corpus:"), "top entities": table_after("Top people"),
            "stories": table_after("Stories with more than one copy"), "story copies": table_after("Their copies")}


def without_timings(sample: str) -> str:
    return TIMINGS.sub(r"\1 <timing> │", sample)


def shown_samples(page: Path) -> dict[str, str]:
    return {m["name"]: m["body"] for m in SAMPLE.finditer(page.read_text("utf-8"))}


def write_samples() -> None:
    """Run the demo and put its output into the sample blocks of the README and the guides."""
    with tempfile.TemporaryDirectory(prefix="pagefold-readme-") as tmp:
        samples = demo_samples(run_demo(Path(tmp), Path(tmp) / "prefect-home"))
    for page in PAGES:
        text = SAMPLE.sub(lambda m: m.group(1) + samples[m["name"]] + m.group(4), page.read_text("utf-8"))
        page.write_text(text, "utf-8")


@pytest.fixture(scope="module")
def checkout(tmp_path_factory, command_home) -> tuple[Path, Path, str]:
    """A user's checkout after `make demo`: (its folder, the Prefect home, what the demo printed)."""
    folder = tmp_path_factory.mktemp("checkout")
    return folder, command_home, run_demo(folder, command_home)


def test_the_readme_and_the_guides_show_what_the_demo_prints(checkout):
    _, _, stdout = checkout
    printed = demo_samples(stdout)
    assert "summary" in shown_samples(README)
    shown_anywhere = set()
    for page in PAGES:
        for name, sample in shown_samples(page).items():
            assert without_timings(sample) == without_timings(printed[name]), f"{page.name}'s {name} differs"
            shown_anywhere.add(name)
    assert shown_anywhere == set(printed)


def test_the_demo_ends_with_commands_to_copy_one_line_each(tmp_path, command_home):
    stdout = run_demo(tmp_path, command_home, COLUMNS="80")  # to a pipe, in an 80-column terminal's width
    lines = stdout.splitlines()
    query = next(line for line in lines if line.startswith("Query it:"))
    pandas = next(line for line in lines if line.startswith("pandas:"))
    assert query.endswith('"SELECT hostname, title FROM documents"')
    assert pandas.endswith("'documents')") and "read_pandas(" in pandas


def test_the_demo_corpus_is_the_same_with_or_without_the_shared_folder(tmp_path):
    """Its wire story is its own invented one, never ../shared's seed story, so every user sees the same demo."""
    from tasks.sources.demo_corpus import build_demo_source

    objects = build_demo_source(tmp_path)
    [warc] = [o for o in objects if o.name.endswith(".warc.gz")]
    content = gzip.decompress(warc.read_bytes())
    assert b"Nordic ministers agree joint watch over Arctic shipping lanes" in content
    assert b"Lavrov" not in content


def s3_uris(commands: list[str]) -> tuple[set[str], set[str]]:
    """(raw sources, lakes): the s3:// URIs given as --source, and every other one but --dest."""
    sources, lakes = set(), set()
    for command in commands:
        for flag, uri in re.findall(r"(--\w[\w-]*\s+|[\"'(])?(s3://[^\s\"']+)", command):
            (sources if flag.strip() == "--source" else set() if flag.strip() == "--dest" else lakes).add(uri)
    return sources, lakes


def upload(folder: Path, uri: str, client) -> None:
    bucket, _, prefix = uri[len("s3://"):].partition("/")
    for path in folder.rglob("*"):
        if path.is_file():
            client.upload_file(str(path), bucket, f"{prefix.strip('/')}/{path.relative_to(folder)}".lstrip("/"))


@pytest.fixture(scope="module")
def s3_env(checkout, s3_endpoint) -> dict[str, str]:
    """moto's S3 holding what the README's commands expect, and a user's environment pointing at it."""
    folder, home, _ = checkout
    runnable = shell_commands() + code_blocks("python")
    sources, lakes = s3_uris(runnable)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    uris = sources | lakes | {u for c in runnable for u in re.findall(r"--dest\s+(s3://\S+)", c)}
    for bucket in {u[len("s3://"):].split("/")[0] for u in uris}:
        client.create_bucket(Bucket=bucket)
    for uri in sources:
        upload(folder / "demo-output" / "raw", uri, client)
    for uri in lakes:
        upload(folder / "demo-output" / "lake", uri, client)
    return user_env(home, AWS_ENDPOINT_URL=s3_endpoint, AWS_ACCESS_KEY_ID="testing",
                    AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")


def shell_commands() -> list[str]:
    lines = [line for block in code_blocks("sh") for line in block.splitlines() if line.startswith(".venv/bin/pagefold ")]
    return list(dict.fromkeys(lines))


@pytest.mark.parametrize("command", shell_commands())
def test_each_pagefold_command_of_the_docs_runs(command, checkout, s3_env):
    folder, _, _ = checkout
    result = subprocess.run(command, shell=True, cwd=folder, env=s3_env, capture_output=True, text=True, timeout=600,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    if " query " in command and "--format" not in command and not empty_on_the_demo(command):
        assert any(line.startswith("│") for line in result.stdout.splitlines()), result.stdout


# What the demo lake rightly holds none of: drift alarms (its one day has no history), dropped fields (its pages
# drop nothing). Every other recipe must find rows there: one that finds nothing teaches nothing (issue 24).
EMPTY_ON_THE_DEMO = ("FROM drift", "unnest(field_issues)")


def empty_on_the_demo(query: str) -> bool:
    return any(marker in query for marker in EMPTY_ON_THE_DEMO)


@pytest.mark.parametrize("sql", code_blocks("sql"), ids=lambda sql: sql.split("\n")[0][:40])
def test_each_sql_query_of_the_docs_returns_rows_in_duckdb(sql, checkout):
    """On the demo lake, today or any later day (issue 24: "Top people this week" found none once the week of the
    demo's day had passed)."""
    folder, _, _ = checkout
    script = "import duckdb, sys; rows = duckdb.sql(sys.stdin.read()).fetchall(); print(len(rows))"
    result = subprocess.run([".venv/bin/python", "-c", script], input=sql, cwd=folder, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 0 or empty_on_the_demo(sql), sql


@pytest.mark.parametrize("code", code_blocks("python"), ids=lambda code: code.strip().split("\n")[-1][:40])
def test_each_python_example_of_the_docs_runs(code, checkout, s3_env):
    folder, _, _ = checkout
    result = subprocess.run([".venv/bin/python", "-"], input=code, cwd=folder, env=s3_env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def test_the_pandas_example_reads_dates_as_dates_and_nullable_integers_as_integers(checkout, s3_env):
    """Point 5 of issue 12, as the lake guide's pandas example writes it."""
    folder, _, _ = checkout
    [example] = [code for code in code_blocks("python") if "nato_too" in code]
    probe = example + (
        "\nassert len(docs) == int((docs.date == dt.date(2026, 11, 27)).sum()) > 0"
        "\nassert str(docs.http_status.dtype) == 'Int16' and str(docs.source_line.dtype) == 'Int64'"
        "\nassert str(docs.source_offset.dtype) == 'Int64' and len(nato) == len(nato_too) > 0\n")
    result = subprocess.run([".venv/bin/python", "-"], input=probe, cwd=folder, env=s3_env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr


LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCED = re.compile(r"^```.*?^```", re.S | re.M)


def heading_anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the page's headings: lower case, punctuation dropped, spaces as hyphens,
    `-1`, `-2`, ... after a repeated one."""
    anchors: set[str] = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *$", FENCED.sub("", page.read_text("utf-8")), re.M):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").strip().lower()
        slug = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
        anchor, n = slug, 0
        while anchor in anchors:
            n += 1
            anchor = f"{slug}-{n}"
        anchors.add(anchor)
    return anchors


def relative_links(page: Path) -> list[str]:
    text = FENCED.sub("", page.read_text("utf-8"))
    return [target for target in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", target)]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_relative_link_points_to_a_file_and_a_heading_that_exist(page):
    broken = []
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in heading_anchors(linked):
            broken.append(f"{target}: no such heading")
    assert not broken, f"{page.name}: " + "; ".join(broken)


def test_the_link_check_sees_links_and_anchors():
    """The check above reads what it should: links outside code blocks, and GitHub's anchors."""
    assert "docs/operating.md#backfills" in relative_links(README)
    assert {"backfills", "what-each-days-run-shows", "failures-retries-and-re-runs"} <= heading_anchors(
        ROOT / "docs" / "operating.md")
    assert "documents" in heading_anchors(ROOT / "docs" / "lake.md")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.test_readme --write")
    write_samples()
