"""The `pagefold` command as an operator runs it: a fresh machine, no Prefect server, no terminal."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from flows.local_server import LocalServer
from tasks.running.service import stop_services
from tests.conftest import NEWS_DEV, needs_news_dev
from tests.rawdata import MAX_PAGE_MB, hard_input_objects, write_day

PAGEFOLD = str(Path(sys.executable).with_name("pagefold"))
# What must never reach an operator's screen from a healthy run.
NOISE = ("Traceback", "Warning", "WARNING", "Error", "ERROR", "timed out", "Timeout", "CancelledError")


def noise(result: subprocess.CompletedProcess) -> list[str]:
    """Noise on stderr, except in the log line of a reject, which quotes its detail (e.g. an EOFError of a
    truncated gzip); stdout may quote details too, never a traceback."""
    stderr = "\n".join(line for line in result.stderr.splitlines() if ": reject " not in line)
    return [word for word in NOISE if word in stderr] + ["Traceback"] * ("Traceback" in result.stdout)


pytestmark = pytest.mark.slow  # `pagefold` commands, with a Prefect server of their own


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory) -> Iterator[Path]:
    """One fresh Prefect home for the module: the first command meets an empty database, as on a new machine.
    Its local server stops with the module."""
    home = tmp_path_factory.mktemp("prefect-home")
    yield home
    stop_services(home)


def pagefold(*args: str, home: Path, **env_vars: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_"))}
    env.update({"PAGEFOLD_PREFECT_HOME": str(home), "COLUMNS": "200", **env_vars})
    return subprocess.run([PAGEFOLD, *args], env=env, capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, prefect_home):
    root = tmp_path_factory.mktemp("cli")
    write_day(root / "raw", "2026-11-20", hard_input_objects())
    result = pagefold("ingest", "--source", str(root / "raw"), "--dest", str(root / "lake"),
                      "--max-page-mb", str(MAX_PAGE_MB), home=prefect_home)
    return root / "lake", result


def test_ingest_on_a_fresh_prefect_home_succeeds_with_clean_output(ingested):
    _, result = ingested
    assert result.returncode == 0, result.stderr
    assert not noise(result), result.stdout + result.stderr
    assert "reconciled" in result.stdout and "yes: pages = documents + rejects" in result.stdout


def test_ingest_summary_matches_the_lake(ingested):
    lake, result = ingested
    documents = duckdb.sql(f"SELECT count(*) FROM read_parquet('{lake}/documents/*/*.parquet')").fetchall()[0][0]
    rejects = duckdb.sql(f"SELECT count(*) FROM read_parquet('{lake}/rejects/*/*.parquet')").fetchall()[0][0]
    table = dict(re.findall(r"│ (\w[\w ]*?) +│ +(\S+) │", result.stdout))
    assert table["documents written"] == str(documents)
    assert table["rejects written"] == str(rejects)
    entities = duckdb.sql(f"SELECT count(*) FROM read_parquet('{lake}/entities/*/*.parquet')").fetchall()[0][0]
    assert table["entities written"] == str(entities)


def test_query_runs_sql_over_the_registered_views(ingested, prefect_home):
    lake, _ = ingested
    result = pagefold("query", "--lake", str(lake),
                      "SELECT reason, count(*) AS n FROM rejects GROUP BY reason ORDER BY reason", home=prefect_home)
    assert result.returncode == 0, result.stderr
    assert "invalid_json" in result.stdout and "unsupported_format" in result.stdout


def test_query_without_sql_lists_views_and_described_columns(ingested, prefect_home):
    lake, _ = ingested
    result = pagefold("query", "--lake", str(lake), home=prefect_home)
    assert result.returncode == 0, result.stderr
    assert "documents" in result.stdout and "rejects" in result.stdout
    assert "Hex SHA-256 of `text`" in result.stdout  # descriptions come from the declared schema


QUERY_SQL = "SELECT url, title, authors, published_at, word_count FROM documents ORDER BY url"


def lake_documents(lake: Path) -> list[tuple]:
    return duckdb.sql(f"SELECT url, title, authors, published_at, word_count FROM read_parquet('{lake}/documents/*/*"
                      ".parquet') ORDER BY url").fetchall()


def test_query_output_for_scripts_is_csv_or_json_with_every_row_and_value_whole(ingested, prefect_home):
    """Issue 24's trial: no CSV or JSON output, and `pagefold query ... > file` cut values with an ellipsis."""
    lake, _ = ingested
    expected = lake_documents(lake)

    as_csv = pagefold("query", "--lake", str(lake), "--format", "csv", "--max-rows", "2", QUERY_SQL, home=prefect_home)
    everything = pagefold("query", "--lake", str(lake), "--format", "csv", QUERY_SQL, home=prefect_home)
    as_json = pagefold("query", "--lake", str(lake), "--format", "json", QUERY_SQL, home=prefect_home)

    assert as_csv.returncode == everything.returncode == as_json.returncode == 0, as_csv.stderr + as_json.stderr
    rows = list(csv.DictReader(io.StringIO(everything.stdout)))
    assert [(r["url"], r["title"], json.loads(r["authors"]), dt.datetime.fromisoformat(r["published_at"]),
             int(r["word_count"])) for r in rows] == expected
    assert len(list(csv.DictReader(io.StringIO(as_csv.stdout)))) == 2 and "--max-rows" in as_csv.stderr
    objects = json.loads(as_json.stdout)
    assert [(o["url"], o["title"], o["authors"], dt.datetime.fromisoformat(o["published_at"]), o["word_count"])
            for o in objects] == expected


def test_a_query_table_sent_to_a_file_holds_each_row_whole_on_one_line(ingested, prefect_home):
    """Not a terminal: the table is as wide as its values, not wrapped at an assumed 80 columns (issue 24's trial:
    titles one word a line)."""
    lake, _ = ingested
    result = pagefold("query", "--lake", str(lake), QUERY_SQL, home=prefect_home, COLUMNS="80")

    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("│")]
    expected = lake_documents(lake)
    assert len(lines) == len(expected) and "…" not in result.stdout
    assert all(url in line and title in line for line, (url, title, *_) in zip(lines, expected))


def test_help_names_every_command(prefect_home):
    result = pagefold("--help", home=prefect_home)
    assert result.returncode == 0
    for command in ("ingest", "backfill", "query", "demo", "settings", "worker"):
        assert command in result.stdout
    ingest_help = pagefold("ingest", "--help", home=prefect_home)
    assert "PAGEFOLD_DASK_ADDRESS" in ingest_help.stdout and "PAGEFOLD_DASK_WORKERS" in ingest_help.stdout


def test_prefect_records_nothing_of_its_telemetry_on_a_terminal(tmp_path):
    """Issue 24's trial: the Prefect home got `.sdk_telemetry/` although telemetry is said off (Prefect 3.9 records
    milestones and a device id on a terminal even with DO_NOT_TRACK=1). A run of a flow on a terminal, in a
    pseudo-terminal here, leaves none."""
    import pty

    source, home = tmp_path / "raw", tmp_path / "home"
    write_day(source, "2026-11-20", {"notes/readme.txt": b"not a page"})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_", "DO_NOT_TRACK"))}
    env.update(PAGEFOLD_PREFECT_HOME=str(home))
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command on the terminal
        os.execve(PAGEFOLD, [PAGEFOLD, "backfill", "--source", str(source), "--dest", str(tmp_path / "lake"),
                             "--start", "2026-11-20", "--end", "2026-11-20", "--dry-run"], env)
    output = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the terminal closed: the command ended
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)

    assert os.waitstatus_to_exitcode(status) == 0, output.decode(errors="replace")
    assert b"1 of 1 day(s) to run" in output and (home / "prefect.db").exists()
    assert not (home / ".sdk_telemetry").exists()


@needs_news_dev()
def test_a_new_machine_without_a_state_folder_gets_its_prefect_home_created(tmp_path):
    """Prefect makes its home without parents and only warns when it cannot: on a machine where
    ~/.local/state does not exist yet, the command-line runs' home must be created whole."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_", "XDG_"))}
    env["HOME"] = str(tmp_path / "new-user")
    probe = ("from flows.prefect_defaults import use_prefect; use_prefect(None); import os, warnings; "
             "warnings.simplefilter('error'); import prefect.context; print(os.environ['PREFECT_HOME'])")
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == tmp_path / "new-user" / ".local" / "state" / "pagefold" / "prefect"
    assert Path(result.stdout.strip()).is_dir()


def test_news_dev_corpus_is_fully_accounted_for(tmp_path, prefect_home):
    """Every page of the real corpus becomes a document or a reject with a reason."""
    write_day(tmp_path / "raw", "2024-05-03", {"news-dev.jsonl.gz": (NEWS_DEV / "pages.jsonl.gz").read_bytes()})
    result = pagefold("ingest", "--source", str(tmp_path / "raw"), "--dest", str(tmp_path / "lake"),
                      home=prefect_home)
    assert result.returncode == 0, result.stderr
    with gzip.open(NEWS_DEV / "pages.jsonl.gz", "rt") as lines:
        urls = [json.loads(line)["url"] for line in lines]
    lake = tmp_path / "lake"
    seen = duckdb.sql(
        f"SELECT url, 'document' FROM read_parquet('{lake}/documents/*/*.parquet') UNION ALL "
        f"SELECT url, reason FROM read_parquet('{lake}/rejects/*/*.parquet')").fetchall()
    assert sorted(url for url, _ in seen) == sorted(urls)
    assert all(reason for _, reason in seen)


def test_demo_builds_its_corpus_ingests_it_and_shows_the_lake(tmp_path, prefect_home):
    result = pagefold("demo", "--workdir", str(tmp_path), home=prefect_home)
    assert result.returncode == 0, result.stderr
    assert not noise(result), result.stdout + result.stderr
    assert "Council backs tidal barrier after winter floods" in result.stdout
    assert "too_little_prose" in result.stdout and "corrupt_gzip" in result.stdout
    top = result.stdout.split("Top people, organisations and places", 1)[1]
    assert re.search(r"│ people +│ Claire Dufresne +│ 1 +│ 2 ", top) and re.search(r"│ places +│ Tromso +│ 3 ", top)
    by_language = result.stdout.split("Top people by language of the page", 1)[1]
    assert re.search(r"│ de +│ Jens Habermann +│ 2 ", by_language) and re.search(r"│ fr +│ Claire Dufresne ", by_language)
    stories, copies = result.stdout.split("Stories with more than one copy", 1)[1].split("Their copies", 1)
    assert re.search(r"│ Nordic +[^│]*│ 3 +│ 3 +│ AFP +│ TROMSO +│ easterndesk", stories), stories
    assert all(host in copies for host in ("easterndesk.example", "northcoast-courier.example", "fjordpost.example"))
    assert f"{tmp_path / 'lake'}" in result.stdout


def test_backfill_ingests_each_day_of_the_range_and_lists_them(tmp_path, prefect_home):
    days = ["2026-11-20", "2026-11-21"]
    for day in days:
        write_day(tmp_path / "raw", day, {"crawl/legacy.warc.gz": hard_input_objects()["crawl/legacy.warc.gz"]})

    result = pagefold("backfill", "--source", str(tmp_path / "raw"), "--dest", str(tmp_path / "lake"),
                      "--start", days[0], "--end", days[1], home=prefect_home)

    assert result.returncode == 0, result.stderr
    assert not noise(result), result.stdout + result.stderr
    assert all(re.search(rf"│ {day} +│ Completed", result.stdout) for day in days), result.stdout
    written = duckdb.sql(f"SELECT DISTINCT CAST(date AS VARCHAR) FROM read_parquet('{tmp_path}/lake/documents/*/*.parquet',"
                         " hive_partitioning = true) ORDER BY 1").fetchall()
    assert [d for (d,) in written] == days


@pytest.mark.parametrize("value, message", [
    ("2026-11-31", "2026-11-31 is not a real date: November 2026 has 30 days"),
    ("2026-02-29", "2026-02-29 is not a real date: February 2026 has 28 days"),
    ("2026-13-01", "2026-13-01 is not a real date: there is no month 13"),
    ("27/11/2026", "'27/11/2026' is not a day written YYYY-MM-DD"),
])
def test_a_date_that_does_not_exist_is_called_so(value, message, tmp_path, prefect_home):
    result = pagefold("ingest", "--source", str(tmp_path), "--dest", str(tmp_path / "lake"), "--date", value,
                      home=prefect_home)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())


def test_backfill_dates_are_checked_as_dates_too(tmp_path, prefect_home):
    result = pagefold("backfill", "--source", str(tmp_path), "--dest", str(tmp_path / "lake"), "--start",
                      "2026-11-30", "--end", "2026-11-31", home=prefect_home)
    assert result.returncode == 2 and "November 2026 has 30 days" in " ".join(result.stderr.split())


def test_the_next_command_runs_on_the_local_server_the_first_one_started(ingested, prefect_home, tmp_path):
    """One server per home: started by the module's first command, still running after it, used by the next."""
    import psutil

    [state_file] = prefect_home.glob("server-*.json")
    first = json.loads(state_file.read_text())
    write_day(tmp_path / "raw", "2026-11-21", {"crawl/legacy.warc.gz": hard_input_objects()["crawl/legacy.warc.gz"]})
    result = pagefold("ingest", "--source", str(tmp_path / "raw"), "--dest", str(tmp_path / "lake"), home=prefect_home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(state_file.read_text()) == first
    assert "flows.local_server" in psutil.Process(first["pid"]).cmdline()


def test_an_exported_prefect_api_url_does_not_send_cli_runs_to_the_operators_server(ingested, prefect_home, tmp_path):
    """The operator's shell exports PREFECT_API_URL for the prefect command; `pagefold ingest` still runs on its own
    temporary Prefect (here the exported server does not even exist), and says it did not use it."""
    lake, _ = ingested
    raw = tmp_path / "raw"
    write_day(raw, "2026-11-21", {"crawl/legacy.warc.gz": hard_input_objects()["crawl/legacy.warc.gz"]})
    operator, operator_home = "http://127.0.0.1:9/api", tmp_path / "operator-prefect-home"
    result = pagefold("ingest", "--source", str(raw), "--dest", str(tmp_path / "lake"), home=prefect_home,
                      PREFECT_API_URL=operator, PREFECT_HOME=str(operator_home))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"PREFECT_API_URL={operator} is not used" in " ".join(result.stdout.split())
    assert "yes: pages = documents + rejects" in result.stdout
    assert not (operator_home / "prefect.db").exists()  # make server's database (~/.prefect) is not touched
    assert (prefect_home / "prefect.db").exists()


def test_prefect_api_sends_the_run_to_the_server_given(tmp_path, prefect_home):
    """Asked for a server, the command uses it (here none answers, so the run cannot start)."""
    write_day(tmp_path / "raw", "2026-11-21", {"crawl/legacy.warc.gz": hard_input_objects()["crawl/legacy.warc.gz"]})
    result = pagefold("ingest", "--source", str(tmp_path / "raw"), "--dest", str(tmp_path / "lake"),
                      "--prefect-api", "http://127.0.0.1:9/api", home=prefect_home)
    assert result.returncode != 0
    assert "Prefect: the server at http://127.0.0.1:9/api" in result.stdout
    assert not (tmp_path / "lake" / "documents").exists()


@pytest.fixture
def s3_lake(ingested, s3_bucket) -> str:
    """The ingested lake, copied to a bucket of moto's S3 server."""
    lake, _ = ingested
    bucket, client = s3_bucket
    for path in lake.rglob("*.parquet"):
        if not any(part.startswith("_") for part in path.relative_to(lake).parts):
            client.upload_file(str(path), bucket, f"lake/{path.relative_to(lake)}")
    return f"s3://{bucket}/lake"


REJECTS_SQL = "SELECT reason, count(*) AS n FROM rejects GROUP BY reason ORDER BY reason"


@pytest.mark.parametrize("how", ["option", "AWS_ENDPOINT_URL", "PAGEFOLD_S3_ENDPOINT"])
def test_query_reads_an_s3_lake_with_the_endpoint_from_the_option_or_the_environment(how, s3_lake, s3_endpoint,
                                                                                    prefect_home):
    args = ["--s3-endpoint", s3_endpoint] if how == "option" else []
    env = {} if how == "option" else {how: s3_endpoint}
    result = pagefold("query", "--lake", s3_lake, *args, REJECTS_SQL, home=prefect_home, **env,
                      AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    assert result.returncode == 0, result.stderr
    assert "invalid_json" in result.stdout and "unsupported_format" in result.stdout


def test_query_reads_the_endpoint_from_the_prefect_variable_of_the_server_given(s3_lake, s3_endpoint, prefect_home):
    """The variable is set on this module's server (the session's serves other tests' runs at the same time)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.variables import Variable

    server = LocalServer(prefect_home)
    server.ready()
    with temporary_settings({PREFECT_API_URL: server.api_url}):
        Variable.set("pagefold_s3_endpoint", s3_endpoint, overwrite=True)
        try:
            result = pagefold("query", "--lake", s3_lake, "--prefect-api", server.api_url, REJECTS_SQL,
                              home=prefect_home, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        finally:
            Variable.unset("pagefold_s3_endpoint")
            server.release()
    assert result.returncode == 0, result.stderr
    assert "invalid_json" in result.stdout


@pytest.mark.parametrize("endpoint, names", [
    ("http://127.0.0.1:9", ["http://127.0.0.1:9", "--s3-endpoint"]),  # nothing listens on port 9 (discard)
    (None, ["no S3 endpoint set", "--s3-endpoint", "AWS_ENDPOINT_URL"]),  # AWS itself: no internet here
])
def test_query_of_an_unreachable_s3_lake_fails_in_seconds_with_one_line(endpoint, names, prefect_home, tmp_path):
    args = ["--s3-endpoint", endpoint] if endpoint else []
    # The same command on an empty local lake: what starting it costs on this machine at this moment (seconds at a
    # load of 10), so that what is compared is the time spent on S3 (botocore's own retries take ~20 s).
    started = time.monotonic()
    assert pagefold("query", "--lake", str(tmp_path), "SELECT 1", home=prefect_home).returncode == 1
    own_start = time.monotonic() - started
    started = time.monotonic()
    result = pagefold("query", "--lake", "s3://pagefold-nowhere/lake", *args, "SELECT 1", home=prefect_home,
                      AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert elapsed - own_start < 8, f"took {elapsed:.1f} s, a local lake's query {own_start:.1f} s"
    [line] = result.stderr.splitlines()
    assert all(name in line for name in names), line
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("source, names", [
    ("{tmp}/nowhere", ["the source folder {tmp}/nowhere does not exist", "dt=YYYY-MM-DD"]),
    ("{tmp}/raw/dt=2026-11-20", ["inside the day folder dt=2026-11-20/", "dt= folders, {tmp}/raw,",
                                 "2026-11-20 (--date)"]),
    ("{tmp}/raw/dt=2026-11-20/feeds", ["inside the day folder dt=2026-11-20/", "dt= folders, {tmp}/raw,"]),
], ids=["missing folder", "a day folder", "inside a day folder"])
def test_a_source_that_cannot_work_fails_at_once_in_one_line_with_the_fix(source, names, tmp_path, prefect_home):
    """Before any Prefect or extraction process starts, and without retries (it was 30 s and 27-55 lines of
    Prefect output with a traceback for a missing folder)."""
    write_day(tmp_path / "raw", "2026-11-20", {"crawl/legacy.warc.gz": hard_input_objects()["crawl/legacy.warc.gz"]})
    started = time.monotonic()
    result = pagefold("ingest", "--source", source.format(tmp=tmp_path), "--dest", str(tmp_path / "lake"),
                      home=prefect_home)
    elapsed = time.monotonic() - started
    print(f"failed in {elapsed:.2f} s")
    assert result.returncode == 1 and elapsed < 10
    [line] = result.stderr.splitlines()
    assert all(name.format(tmp=tmp_path) in line for name in names), line
    assert result.stdout == "" and not (tmp_path / "lake").exists()


@pytest.mark.parametrize("lake, names", [
    ("{tmp}/notes.txt/lake", ["the lake {tmp}/notes.txt/lake cannot be created: {tmp}/notes.txt is a file"]),
    ("/proc/pagefold-nowhere/lake", ["the lake folder /proc/pagefold-nowhere/lake cannot be created",
                                     "choose another folder"]),
    ("{tmp}/raw/dt=2026-11-20/lake", ["inside the source's day folder dt=2026-11-20/", "read as raw pages"]),
], ids=["under a file", "not creatable", "inside the source's day folder"])
def test_a_lake_that_cannot_work_fails_at_once_in_one_line(lake, names, tmp_path, prefect_home):
    """Issue 12's trial: a lake that cannot be created passed the check (it tested the nearest existing folder) and
    failed 16 s later; one under a file was called a permission problem; one in a day folder was accepted."""
    write_day(tmp_path / "raw", "2026-11-20", {"crawl/legacy.warc.gz": hard_input_objects()["crawl/legacy.warc.gz"]})
    (tmp_path / "notes.txt").write_text("not a folder")
    started = time.monotonic()
    result = pagefold("ingest", "--source", str(tmp_path / "raw"), "--dest", lake.format(tmp=tmp_path),
                      home=prefect_home)
    elapsed = time.monotonic() - started
    assert result.returncode == 1 and elapsed < 10, result.stdout + result.stderr
    [line] = result.stderr.splitlines()
    assert all(name.format(tmp=tmp_path) in line for name in names), line
    assert not (tmp_path / "raw" / "dt=2026-11-20" / "lake").exists()


def test_a_prefect_home_that_cannot_work_fails_at_once_in_one_line(tmp_path):
    """The trial of issue 25: a PAGEFOLD_PREFECT_HOME under a file gave a 52-line traceback."""
    write_day(tmp_path / "raw", "2026-11-20", {"crawl/legacy.warc.gz": hard_input_objects()["crawl/legacy.warc.gz"]})
    (tmp_path / "notes.txt").write_text("not a folder")
    home = tmp_path / "notes.txt" / "prefect"
    result = pagefold("ingest", "--source", str(tmp_path / "raw"), "--dest", str(tmp_path / "lake"), home=home)
    assert result.returncode == 1, result.stdout + result.stderr
    [line] = result.stderr.splitlines()
    assert f"cannot use Pagefold's Prefect home {home}" in line and "PAGEFOLD_PREFECT_HOME" in line, line
    assert not list((tmp_path / "lake").rglob("*.parquet")) if (tmp_path / "lake").exists() else True


@pytest.mark.parametrize("lake, said", [("typo", "does not exist"), ("notes.txt", "is a file, not a folder")])
def test_querying_a_lake_that_is_not_there_says_so_and_creates_nothing(lake, said, tmp_path, prefect_home):
    (tmp_path / "notes.txt").write_text("not a folder")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_"))}
    result = subprocess.run([PAGEFOLD, "query", "--lake", lake, "SELECT 1"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert f"the lake {tmp_path / lake} {said}" in line
    assert not (tmp_path / "typo").exists()


@pytest.mark.parametrize("where, names", [
    ("missing bucket", ["no bucket 'pagefold-missing'", "check the bucket's name", "--s3-endpoint"]),
    ("no endpoint answers", ["cannot reach S3 at http://127.0.0.1:9", "--s3-endpoint"]),
])
def test_an_s3_source_that_cannot_work_fails_at_once_in_one_line_with_the_fix(where, names, s3_endpoint, tmp_path,
                                                                             prefect_home):
    endpoint = s3_endpoint if where == "missing bucket" else "http://127.0.0.1:9"  # nothing listens on port 9
    started = time.monotonic()
    result = pagefold("ingest", "--source", "s3://pagefold-missing/raw", "--dest", str(tmp_path / "lake"),
                      "--s3-endpoint", endpoint, home=prefect_home, AWS_ACCESS_KEY_ID="testing",
                      AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    elapsed = time.monotonic() - started
    print(f"{where}: failed in {elapsed:.2f} s")
    assert result.returncode == 1 and elapsed < 10
    [line] = result.stderr.splitlines()
    assert all(name in line for name in names), line


def test_on_a_terminal_a_locked_day_is_said_once_without_traceback(tmp_path, prefect_home):
    """Another live run (this test's process) holds the day: on a terminal (a pseudo-terminal here) the command says
    so once, in its last line (issue 12: three times, once as a dict with a traceback)."""
    from tasks.lake.daylock import DayLock
    from tasks.lake.storage import open_store

    write_day(tmp_path / "raw", "2026-11-21", {"crawl/legacy.warc.gz": hard_input_objects()["crawl/legacy.warc.gz"]})
    lock = DayLock(open_store(str(tmp_path / "lake")), "2026-11-21", "run-elsewhere")
    lock.acquire()
    try:
        command = " ".join([PAGEFOLD, "ingest", "--source", str(tmp_path / "raw"), "--dest", str(tmp_path / "lake"),
                            "--date", "2026-11-21", "--workers", "1"])
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_"))}
        env.update(PAGEFOLD_PREFECT_HOME=str(prefect_home), COLUMNS="200", TERM="xterm")
        result = subprocess.run(["script", "-qefc", command, "/dev/null"], env=env, capture_output=True, text=True,
                                timeout=600, stdin=subprocess.DEVNULL)
    finally:
        lock.release()
    output = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", result.stdout + result.stderr)  # the terminal's colours
    assert result.returncode == 1, output
    assert output.count("is being written by run run-elsewhere") == 1, output
    assert "Traceback" not in output and "{" not in output
    last = [line for line in output.splitlines() if line.strip()][-1]
    assert "ingest failed: day 2026-11-21 failed and was left unchanged: DayLocked" in last, output
