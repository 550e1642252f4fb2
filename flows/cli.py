"""The `pagefold` command line: ingest, backfill, settings, worker, query and demo."""

from __future__ import annotations

import atexit
import calendar
import contextlib
import csv
import datetime as dt
import decimal
import enum
import json
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from flows.local_server import LocalServer
from flows.prefect_defaults import API_URL_ENV, HOME_ENV, command_line_home, use_prefect  # before Prefect is imported
from tasks.running import stopping
from tasks.running.backfill_plan import MODES
from tasks.running.progress import BOARD

app = typer.Typer(
    help="Pagefold: raw web pages (S3 or a folder) to clean, validated, Hive-partitioned Parquet.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()

SourceOpt = Annotated[str, typer.Option(help="Raw pages: a folder or s3://bucket/prefix holding dt=YYYY-MM-DD/ folders.")]
DestOpt = Annotated[str, typer.Option(help="The lake: a folder or s3://bucket/prefix.")]
EndpointOpt = Annotated[
    Optional[str],
    typer.Option(help="S3-compatible endpoint URL (MinIO, R2, ...); default: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, "
                      "else PAGEFOLD_S3_ENDPOINT, else (with --prefect-api) the Prefect variable pagefold_s3_endpoint, "
                      "else AWS."),
]
LakeOpt = Annotated[str, typer.Option(help="The lake to query: a folder or s3://bucket/prefix.")]
PrefectApiOpt = Annotated[
    Optional[str],
    typer.Option("--prefect-api", envvar=API_URL_ENV, metavar="URL",
                 help="Run on this Prefect server, e.g. make server's http://127.0.0.1:4200/api, where its UI shows "
                      "the run. Default: a local Prefect server of Pagefold's own, shared by commands and stopped "
                      "when idle (an exported PREFECT_API_URL is not used)."),
]


def parse_day(value: str | dt.date) -> dt.date:
    """A YYYY-MM-DD option as a date; a well-formed day that does not exist is named as such."""
    if isinstance(value, dt.date):
        return value
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise typer.BadParameter(f"{value!r} is not a day written YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        year, month, _ = map(int, value.split("-"))
        if year < 1:
            reason = "there is no year 0"
        elif not 1 <= month <= 12:
            reason = f"there is no month {month}"
        else:
            reason = f"{calendar.month_name[month]} {year} has {calendar.monthrange(year, month)[1]} days"
        raise typer.BadParameter(f"{value} is not a real date: {reason}") from None


DayOpt = dict(parser=parse_day, metavar="YYYY-MM-DD")
BackfillMode = enum.Enum("BackfillMode", {mode: mode for mode in MODES}, type=str)  # the choices of --mode
MODE_HELP = ("all: every day; missing: days the lake does not hold; failed_or_outdated: days whose last run failed "
             "(or crashed, or was cancelled) or whose rows an older pipeline_version wrote.")
ModeOpt = Annotated[BackfillMode, typer.Option(help=MODE_HELP)]
VerboseOpt = Annotated[bool, typer.Option("--verbose", help="Show Prefect's log lines with their tracebacks.")]


def choose_prefect(api_url: str | None) -> LocalServer | None:
    """Point this command's flow runs at `api_url`, or at the local Prefect server (started now if none runs); their
    pages go to the shared extraction workers of Pagefold's home (`tasks.running.shared_workers`), whichever
    Prefect runs them."""
    from tasks.running import pool

    pool.share_workers(command_line_home())
    try:
        note = use_prefect(api_url)
        server = None if api_url else LocalServer(command_line_home())
    except OSError as exc:  # a home under a file, or not writable
        fail(f"cannot use Pagefold's Prefect home {command_line_home()} ({exc.strerror or exc}): set "
             f"{HOME_ENV} to a folder you can write, or run on a server with --prefect-api URL")
    if note:
        console.print(f"[dim]{note}[/dim]", soft_wrap=True)
    if server is None:
        return None
    os.environ["PREFECT_API_URL"] = server.api_url
    os.environ["PREFECT_UI_URL"] = ""  # it has no UI: no "View at <url>" line for a page that does not exist
    return server


def on_s3(*urls: str) -> bool:
    return any(url.startswith("s3://") for url in urls)


def check_locations(source: str, dest: str, endpoint: str | None, need_days: bool = False,
                    create_lake: bool = True) -> None:
    """The source (with dt= folders, if `need_days`) and the lake (created unless not `create_lake`), checked
    before anything starts: one line and exit 1 when one cannot work; nothing is created when one cannot."""
    from tasks.lake.storage import SetupError, check_apart, check_location, days_to_ingest, open_store

    try:
        src, lake = open_store(source, endpoint), open_store(dest, endpoint)
        check_location(src, "source")
        if need_days:
            days_to_ingest(src, None)
        check_apart(src, lake)
        check_location(lake, "lake", writing=True, create=create_lake)
    except SetupError as exc:
        fail(str(exc))


def workers_for_source(source: str, endpoint: str | None, date: dt.date | None) -> int:
    """Extraction processes for the source's days (`pool.workers_for` their raw bytes), from a listing that stops
    once it has found enough for one per core. One per core when the listing fails (the run then says why)."""
    from tasks.lake.storage import days_to_ingest, list_day_objects, open_store
    from tasks.running import pool

    cores, raw_bytes = pool.default_workers(), 0
    try:
        src = open_store(source, endpoint)
        for day in days_to_ingest(src, date.isoformat() if date else None):
            raw_bytes += sum(o.size for o in list_day_objects(src, day))
            if pool.workers_for(raw_bytes, cores) == cores:
                break
    except Exception:  # the flow lists the same days again, and fails naming the fault
        return cores
    return pool.workers_for(raw_bytes, cores)


@app.command()
def ingest(
    source: SourceOpt,
    dest: DestOpt,
    date: Annotated[Optional[dt.date], typer.Option(**DayOpt, help="Only this day; default: every dt= folder found.")] = None,
    s3_endpoint: EndpointOpt = None,
    workers: Annotated[Optional[int], typer.Option(
        min=1, help="Processes for extraction; default: one per core, fewer for a source of a few MiB.")] = None,
    batch_mb: Annotated[int, typer.Option(min=1, help="Raw megabytes per batch (one Prefect task per batch).")] = 64,
    max_page_mb: Annotated[float, typer.Option(help="Pages larger than this are rejected as page_too_large.")] = 5.0,
    mode: ModeOpt = BackfillMode.all,
    keep_kinds: Annotated[Optional[str], typer.Option(
        help="Page kinds written as documents, e.g. article,forum; the others become not_an_article rejects. "
             "Default: PAGEFOLD_KEEP_KINDS, else every kind.")] = None,
    prefect_api: PrefectApiOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Read raw pages, extract clean text and metadata, and write documents and rejects to the lake.

    Re-running a day replaces that day's partitions. Every page ends up as a
    document or as a reject with its reason; the summary shows that the two
    add up to the pages read. Each day is committed as soon as its pages are
    done. A source or lake that cannot work fails at once, in one line saying
    what to change. Ctrl-C stops the run in seconds and keeps the days
    committed before it: `--mode missing` then runs only the others.

    Batches run on this machine, or on a Dask cluster when one is set in
    the environment: PAGEFOLD_DASK_ADDRESS=tcp://HOST:8786 (an existing
    cluster) or PAGEFOLD_DASK_WORKERS=N (a local cluster of N processes).
    """
    with stoppable("ingest"):
        endpoint = s3_endpoint_setting(s3_endpoint, prefect_api) if on_s3(source, dest) else s3_endpoint
        check_locations(source, dest, endpoint, need_days=date is None)
        kinds = checked_kinds(keep_kinds)
        stopping.raise_if_held()
        server = choose_prefect(prefect_api)
        workers = workers or workers_for_source(source, endpoint, date)
        summary = run_with_progress(
            server, verbose, source=source, dest=dest, date=date, s3_endpoint=endpoint,
            workers=workers, batch_mb=batch_mb, max_page_mb=max_page_mb, mode=mode.value, keep_kinds=kinds,
        )
        print_summary(summary)


@app.command(short_help="Ingest the days from --start to --end that --mode picks: one child run per day, then a summary.")
def backfill(
    source: SourceOpt,
    dest: DestOpt,
    start: Annotated[dt.date, typer.Option(**DayOpt, help="First day.")],
    end: Annotated[dt.date, typer.Option(**DayOpt, help="Last day, included.")],
    mode: ModeOpt = BackfillMode.all,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list the days that would run, and why.")] = False,
    s3_endpoint: EndpointOpt = None,
    prefect_api: PrefectApiOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Ingest the days from --start to --end that --mode picks with the backfill flow: one child run per day, then
    a summary.

    Here the days run one after another in this process; launched from its deployment in the Prefect UI,
    they run as separate, retryable runs of the daily deployment. Ctrl-C stops the day under way and starts
    no other. Days whose dt= folder the source lacks are not run.
    """
    if end < start:
        raise typer.BadParameter(f"--end {end} is before --start {start}", param_hint="--end")
    with stoppable("backfill"):
        endpoint = s3_endpoint_setting(s3_endpoint, prefect_api) if on_s3(source, dest) else s3_endpoint
        check_locations(source, dest, endpoint, create_lake=not dry_run)
        if endpoint:
            os.environ["AWS_ENDPOINT_URL_S3"] = endpoint  # where the flow's settings look (docs/operating.md)
        stopping.raise_if_held()
        server = choose_prefect(prefect_api)
        from flows.backfill import backfill as backfill_flow

        prefect_console(verbose)
        wait_for(server)
        # A signal held while Prefect creates the flow run is taken by the body of the day under way, at once.
        state = backfill_flow(start_date=start, end_date=end, mode=mode.value, dry_run=dry_run, source=source,
                              dest=dest, return_state=True)
        result = state.result(raise_on_failure=False)
        rows = getattr(result, "rows", result)
        rows = rows if isinstance(rows, list) else []
        if dry_run:
            print_rows("Backfill plan (dry run: nothing ran)", ["date", "run", "reason"], rows)
        else:
            print_rows("Backfill", ["date", "state", "pages", "documents", "rejects", "rejects by reason",
                                    "entities", "seconds", "message"], rows)
        if state.is_cancelled():
            console.print(state.message, soft_wrap=True, highlight=False)
            raise typer.Exit(stopping.exit_status())
        if not state.is_completed():
            console.print(f"[red]backfill failed:[/red] {state.message}", soft_wrap=True)
            raise typer.Exit(1)
        console.print(state.message or "", soft_wrap=True, highlight=False)


@app.command(short_help="Print the settings deployed runs of this machine will read, and where each comes from.")
def settings() -> None:
    """Print the settings the deployed runs of this machine will read, each with where it comes from: the
    environment here, or the Prefect variables of the server in PREFECT_API_URL. A missing one is named with
    the command that sets it. `make deploy` ends with it."""
    from flows import deployed

    with operator_prefect():
        lines, missing = deployed.settings_lines()
    console.print(f"Deployed runs executed here (make worker) will read, from this environment and the Prefect "
                  f"variables of {os.environ['PREFECT_API_URL']}:", soft_wrap=True, highlight=False)
    for line in lines:
        console.print(line, soft_wrap=True, highlight=False, markup=False)
    if missing:
        console.print(f"Before the first run, set {' and '.join(missing)} as said above.", soft_wrap=True,
                      highlight=False)


@app.command(short_help="Start a Prefect worker for Pagefold's deployments (`make worker`); Ctrl-C stops it.")
def worker(
    pool: Annotated[str, typer.Option(envvar="PAGEFOLD_WORK_POOL", help="The work pool to serve.")] = "pagefold",
) -> None:
    """Start a Prefect worker for Pagefold's deployments (`make worker` runs this): it prints the settings its runs
    will read, refuses to join a pool whose online workers run with other settings, starts one local Dask cluster
    for all its runs when PAGEFOLD_DASK_WORKERS=N is set, then runs `prefect worker start --pool POOL`.
    Ctrl-C stops it."""
    from flows import deployed
    from tasks.lake.storage import SetupError

    environment = deployed.run_environment()
    name = deployed.worker_name(environment)
    with operator_prefect():
        lines, _ = deployed.settings_lines()
        console.print(f"pagefold worker {name} for the work pool {pool}; its runs will read:", soft_wrap=True,
                      highlight=False)
        for line in lines:
            console.print(line, soft_wrap=True, highlight=False, markup=False)
        deployed.check_pool(pool, name)
    local = os.environ.pop("PAGEFOLD_DASK_WORKERS", "")
    if local and not os.environ.get("PAGEFOLD_DASK_ADDRESS"):
        try:
            os.environ["PAGEFOLD_DASK_ADDRESS"] = deployed.start_local_cluster(int(local))
        except (SetupError, ValueError) as exc:
            fail(f"PAGEFOLD_DASK_WORKERS={local}: {exc}")
        console.print(f"  the local Dask cluster of this worker, for all its runs: "
                      f"{os.environ['PAGEFOLD_DASK_ADDRESS']}",
                      soft_wrap=True, highlight=False, markup=False)
    deployed.exec_prefect_worker(pool, name)


@contextmanager
def operator_prefect() -> Iterator[None]:
    """For the commands of an operator's machine (`settings`, `worker`): the Prefect server in PREFECT_API_URL, as
    the `prefect` command uses; one line and exit 1 when it is not set or cannot be read, or when the block
    raises SetupError."""
    from tasks.lake.storage import SetupError

    url = os.environ.get("PREFECT_API_URL")
    if not url:
        fail("PREFECT_API_URL is not set: export PREFECT_API_URL=http://127.0.0.1:4200/api (the line make server "
             "prints), or use the make targets, which set it")
    try:
        yield
    except SetupError as exc:
        fail(str(exc))
    except Exception as exc:  # the server does not answer
        fail(f"cannot read the settings from the Prefect server at {url} ({type(exc).__name__}: {exc}): start it "
             "(make server) or fix PREFECT_API_URL")


def print_rows(title: str, columns: list[str], rows: list[dict]) -> None:
    """Rows as a table whose long cells wrap rather than being cut at the terminal's width; booleans as yes/no."""
    def cell(value) -> str:
        return ("yes" if value else "no") if isinstance(value, bool) else str(value)

    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(cell(row.get(column, "")) for column in columns))
    show(table)


class OutputFormat(str, enum.Enum):
    table = "table"
    csv = "csv"
    json = "json"


TABLE_ROWS = 50  # rows of a query's table by default


@app.command()
def query(
    sql: Annotated[Optional[str], typer.Argument(
        help="SQL over the views `documents`, `entities`, `rejects`, `health`, `stories` and `drift`.")] = None,
    lake: LakeOpt = "lake",
    s3_endpoint: EndpointOpt = None,
    output: Annotated[OutputFormat, typer.Option(
        "--format", help="table: a table as wide as the terminal (values wrap, never cut), or as wide as its values "
                         "when the output is not a terminal; csv: a header and one line per row; json: an array of "
                         "objects, lists as arrays, dates and times as ISO 8601 text.")] = OutputFormat.table,
    max_rows: Annotated[Optional[int], typer.Option(
        help="Rows to print at most; default: 50 in a table, all in csv and json.", show_default=False)] = None,
    prefect_api: Annotated[
        Optional[str],
        typer.Option("--prefect-api", envvar=API_URL_ENV, metavar="URL",
                     help="Read the Prefect variable pagefold_s3_endpoint from this server when no endpoint is set."),
    ] = None,
) -> None:
    """Run SQL over the lake with DuckDB; the datasets are views (`documents`, `entities`, `rejects`, `health`,
    `stories`), and `drift` holds the drift alarms of every day.

    Without SQL: an interactive prompt on a terminal, else the views and their columns. An S3 lake that
    cannot be reached fails in seconds with one line saying where it looked. For scripts: --format csv or json,
    every row and every value in full.
    """
    import duckdb

    from tasks.lake.storage import SetupError, open_store
    from tasks.query import open_lake, run_sql

    try:
        con, views = open_lake(open_store(lake, s3_endpoint_setting(s3_endpoint, prefect_api)))
    except SetupError as exc:
        fail(str(exc))
    if not views:
        console.print(f"[yellow]No datasets under {lake} yet: run `pagefold ingest` first.[/yellow]")
        raise typer.Exit(1)
    if max_rows is None:
        max_rows = TABLE_ROWS if output == OutputFormat.table else sys.maxsize
    if sql:
        try:
            print_result(*run_sql(con, sql, max_rows), output=output)
        except duckdb.Error as exc:
            fail(f"query failed: {exc}")
        return
    print_views(con, views)
    if sys.stdin.isatty():
        _prompt(con, max_rows)


def checked_kinds(keep_kinds: str | None) -> list[str] | None:
    """The kinds of --keep-kinds ("article,forum"), checked before anything starts (one line and exit 1 for a word
    that is not a kind, or a list without article); None without the option: the run reads its setting."""
    if not keep_kinds:
        return None
    from flows import config
    from tasks.lake.storage import SetupError

    try:
        return list(config.keep_kinds(keep_kinds.split(",")) or ()) or None
    except SetupError as exc:
        fail(str(exc))


def s3_endpoint_setting(explicit: str | None, prefect_api: str | None) -> str | None:
    """The S3 endpoint, looked up as deployed runs look it up (docs/operating.md, "The S3 endpoint").

    The option, else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else PAGEFOLD_S3_ENDPOINT, else the Prefect
    variable pagefold_s3_endpoint, read only from a server given with --prefect-api (the local one has
    no variables). None: AWS itself.
    """
    from tasks.lake.storage import endpoint_from_env

    endpoint = endpoint_from_env(explicit) or os.environ.get("PAGEFOLD_S3_ENDPOINT")
    if endpoint or not prefect_api:
        return endpoint or None
    use_prefect(prefect_api)
    from flows import config

    try:
        return config.setting("s3_endpoint")
    except Exception as exc:  # the server does not answer
        fail(f"cannot read the Prefect variable pagefold_s3_endpoint from {prefect_api} ({type(exc).__name__}: "
             f"{exc}): check --prefect-api, or give --s3-endpoint")


def fail(message: str) -> None:
    """One line on stderr, exit status 1."""
    Console(stderr=True, soft_wrap=True).print(f"[red]{message}[/red]", highlight=False)
    raise typer.Exit(1)


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo's raw pages and lake go.")] = Path("demo-output"),
    prefect_api: PrefectApiOpt = None,
) -> None:
    """Build the demo corpus as raw objects, ingest it, and query the result."""
    with stoppable("demo"):
        server = choose_prefect(prefect_api)
        from tasks.lake.storage import open_store
        from tasks.query import open_lake, run_sql
        from tasks.sources.demo_corpus import DEMO_DAY, build_demo_source

        raw, lake = workdir / "raw", workdir / "lake"
        objects = build_demo_source(raw)
        console.print(f"Demo corpus: {len(objects)} raw objects written under [bold]{raw}/dt={DEMO_DAY}/[/bold]")
        # One extraction process: the demo's twelve pages in five languages take it 6-7 s, most of it loading
        # the German, French and Russian models in turn; two processes measured no faster on two cores (warm:
        # 10.7-11.8 s against 11.1-11.4 s, 14 s of CPU against 12.5), their second start costing what it saved.
        summary = run_with_progress(server, source=str(raw), dest=str(lake), workers=1)
        print_summary(summary)
        con, _ = open_lake(open_store(str(lake)))
        console.print("\n[bold]Documents[/bold] (pagefold query --lake", lake, '"SELECT ... FROM documents")')
        print_result(*run_sql(con, DEMO_DOCUMENTS_SQL, 50))
        console.print("\n[bold]Rejects[/bold]")
        print_result(*run_sql(con, DEMO_REJECTS_SQL, 50))
        console.print(f"\n[bold]Top people, organisations and places of {DEMO_DAY}[/bold] (entities joined to documents)")
        print_result(*run_sql(con, DEMO_TOP_ENTITIES_SQL, 50))
        console.print("\n[bold]Top people by language of the page[/bold] (entities joined to documents)")
        print_result(*run_sql(con, DEMO_PEOPLE_BY_LANGUAGE_SQL, 50))
        console.print("\n[bold]Stories with more than one copy[/bold] (the stories dataset)")
        print_result(*run_sql(con, DEMO_STORIES_SQL, 50))
        console.print("\n[bold]Their copies[/bold] (documents with those story ids)")
        print_result(*run_sql(con, DEMO_STORY_COPIES_SQL, 50))
        console.print(
            f"\nThe lake is in [bold]{lake}[/bold] (documents/, entities/, rejects/, health/ and stories/, partitioned by date=).\n"
            f"Query it:  .venv/bin/pagefold query --lake {lake} \"SELECT hostname, title FROM documents\"\n"
            f"DuckDB:    SELECT * FROM read_parquet('{lake}/documents/*/*.parquet', hive_partitioning = true)\n"
            f"pandas:    from tasks.query import read_pandas; read_pandas('{lake}', 'documents')",
            soft_wrap=True,  # commands to copy stay one line each, whatever the width
        )


DEMO_DOCUMENTS_SQL = """
SELECT date, hostname, title, list_aggr(authors, 'string_agg', '; ') AS authors,
       strftime(published_at, '%Y-%m-%d %H:%M') AS published, language, dateline, agency, word_count AS words
FROM documents ORDER BY hostname, url
"""
DEMO_STORIES_SQL = """
SELECT title, copies, hosts, agency, dateline, origin_hostname AS origin
FROM stories WHERE copies > 1 ORDER BY copies DESC, story_id
"""
DEMO_STORY_COPIES_SQL = """
SELECT d.hostname, d.is_origin AS origin, d.title, d.word_count AS words
FROM documents d JOIN stories s USING (story_id)
WHERE s.copies > 1 ORDER BY s.copies DESC, s.story_id, d.is_origin DESC, d.hostname
"""
DEMO_TOP_ENTITIES_SQL = """
WITH named AS (
    SELECT CASE label WHEN 'PERSON' THEN 'people' WHEN 'ORG' THEN 'organisations' ELSE 'places' END AS kind,
           canonical AS name, count(DISTINCT doc_id) AS documents, sum(count) AS mentions
    FROM entities JOIN documents USING (date, doc_id)
    WHERE label IN ('PERSON', 'ORG', 'GPE', 'LOC', 'FAC')
    GROUP BY kind, name)
SELECT kind, name, documents, mentions FROM named
QUALIFY row_number() OVER (PARTITION BY kind ORDER BY documents DESC, mentions DESC, name) <= 5
ORDER BY kind, documents DESC, mentions DESC, name
"""
DEMO_PEOPLE_BY_LANGUAGE_SQL = """
SELECT language, canonical AS person, sum(count) AS mentions, any_value(hostname) AS site
FROM entities JOIN documents USING (date, doc_id)
WHERE label = 'PERSON'
GROUP BY language, person
QUALIFY row_number() OVER (PARTITION BY language ORDER BY mentions DESC, person) <= 3
ORDER BY language, mentions DESC, person
"""
DEMO_REJECTS_SQL = """
SELECT reason, stage, coalesce(url, '') AS url, regexp_extract(source_uri, '[^/]+$') AS object,
       coalesce(source_line, source_offset) AS at, detail
FROM rejects ORDER BY reason, source_uri
"""


class _WithoutTraceback(logging.Formatter):
    """A console formatter that leaves tracebacks out (the Prefect API, where the UI reads logs, keeps them)."""

    def __init__(self, inner: logging.Formatter | None):
        super().__init__()
        self._inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return self._inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def prefect_console(verbose: bool) -> None:
    """Prefect's log lines on this command's stderr: without tracebacks, or with --verbose every INFO line with
    its traceback, Dask's own among them (flows.runners leaves them out otherwise). Call once Prefect is imported
    (it sets its handlers up then)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    if verbose:
        os.environ["DASK_LOGGING__DISTRIBUTED"] = "info"
    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler):
            if verbose:
                handler.setLevel(logging.INFO)
            elif not isinstance(handler.formatter, _WithoutTraceback):
                handler.setFormatter(_WithoutTraceback(handler.formatter))
                handler.addFilter(_SaidByTheCommand())


class _SaidByTheCommand(logging.Filter):
    """The flow run's own failure, which the command prints as its last line: not printed twice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Encountered exception during execution")


class _StopSaidOnce(logging.Filter):
    """Once the run is stopping, the batches Prefect then logs as Cancelled (at ERROR level) are the stop itself,
    which the command says in one line: their state shows in the UI, their log lines are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (stopping.requested() and record.getMessage().startswith("Finished in state Cancelled"))


def run_with_progress(server: LocalServer | None, verbose: bool = False, **params) -> dict:
    """Run the ingest flow here, with live progress on a terminal or steady lines in logs.

    `server`: the local Prefect server, if the run goes there; the flow waits until it answers. `verbose`:
    Prefect's log lines with their tracebacks. Run it inside `stoppable()`.
    """
    from tasks.running import pool

    pool.warm_up(params.get("workers") or pool.default_workers())  # overlaps Prefect's start-up
    stopping.raise_if_held()
    from flows.ingest import ingest as ingest_flow

    prefect_console(verbose)
    logging.getLogger("prefect.task_runs").addFilter(_StopSaidOnce())
    wait_for(server)
    stop = threading.Event()
    # On a terminal, a live bar; in logs, the flow's own progress lines (every 10 s) are enough.
    watcher = threading.Thread(target=_live_progress, args=(stop,), daemon=True)
    if console.is_terminal:
        watcher.start()
    stopped = None
    try:
        # A signal held while Prefect creates the flow run is taken by the flow's body, at once.
        state = ingest_flow(**params, return_state=True)
        if state.is_cancelled():
            stopped = state.message
        summary, error = state.result(), None
    except Exception as exc:
        summary, error = None, exc
    finally:
        stop.set()
        if watcher.is_alive():
            watcher.join()  # the progress display is gone before anything else is printed
    if stopped:
        console.print(f"ingest {stopped}", soft_wrap=True, highlight=False)
        raise typer.Exit(stopping.exit_status())  # 128 + the signal, as a shell reports a command it stopped
    if error is not None:
        console.print(f"[red]ingest failed:[/red] {error}", soft_wrap=True, highlight=False)
        raise typer.Exit(1)
    return summary


def wait_for(server: LocalServer | None) -> None:
    """Until the local Prefect server answers (a stop cuts the wait), after a stop held so far is taken."""
    stopping.raise_if_held()
    if server:
        with stopping.interruptible():
            server.ready()


@contextmanager
def stoppable(command: str) -> Iterator[None]:
    """A command that runs flows, with signals held (`stopping.held_signals`) from its start: Ctrl-C or SIGTERM
    outside a flow's body (while Prefect and the extraction processes start, or once the run has ended) ends
    it in one line, exit 130 (Ctrl-C) or 143 (SIGTERM), as a stop inside a run does."""
    try:
        with stopping.held_signals():
            yield
            stopping.raise_if_held()
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, stopping.Interrupted) else signal.SIGINT
        from tasks.running import pool

        pool.shutdown_pools()
        console.print(f"{command} stopped by {stopping.signal_name(signum)} outside its flow run: nothing is left "
                      "half-written", soft_wrap=True, highlight=False)
        raise typer.Exit(stopping.exit_status(signum)) from None


def _live_progress(stop: threading.Event) -> None:
    """A progress bar in pages, with Prefect's log lines printed above it rather than over it."""
    from prefect.logging.handlers import PrefectConsoleHandler

    columns = [TextColumn("ingest"), BarColumn(), TextColumn("{task.description}")]
    with Progress(*columns, console=console, transient=True) as bar:
        handlers = [h for h in logging.getLogger().handlers if isinstance(h, PrefectConsoleHandler)]
        consoles = [h.console for h in handlers]
        for handler in handlers:
            handler.console = bar.console  # printed through the bar's console: above the bar
        try:
            task = bar.add_task("starting", total=None)
            while not stop.wait(0.25):
                s = BOARD.snapshot()
                bar.update(task, total=s.pages_total, completed=s.pages_done,
                           description=s.describe() if s.objects_total else "starting: local Prefect, listing objects")
        finally:
            for handler, own in zip(handlers, consoles):
                handler.console = own


def print_summary(summary: dict) -> None:
    table = Table(title=f"Run {summary['run_id']}", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, key in [("days", "days"), ("objects listed", "objects"), ("pages read", "pages"),
                       ("documents written", "documents"), ("rejects written", "rejects"),
                       ("entities written", "entities")]:
        value = summary[key]
        table.add_row(label, ", ".join(value) if isinstance(value, list) else str(value))
    for reason, n in summary["rejects_by_reason"].items():
        table.add_row(f"  {reason}", str(n))
    for day, folder in summary["days_without_raw_objects"].items():
        table.add_row(f"{day}: no raw objects", f"under {folder}, left as it was")
    table.add_row("drift alarms", str(len(summary["drift_alarms"])))
    for alarm in summary["drift_alarms"]:
        table.add_row(f"  {alarm['date']} {alarm['hostname']}", alarm["measure"])
    table.add_row("seconds", f"{summary['seconds']:.1f}")
    table.add_row("pages per second", f"{summary['pages_per_second']:.1f}")
    verdict = "[green]yes[/green]: pages = documents + rejects" if summary["reconciled"] else "[red]NO[/red]"
    table.add_row("reconciled", verdict)
    show(table)


def print_result(columns: list[str], rows: list[tuple], more: bool,
                 output: OutputFormat = OutputFormat.table) -> None:
    """A query's rows on stdout: a table (`show`), CSV (a header, then one line per row) or a JSON array of objects."""
    if output == OutputFormat.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_csv_cell(value) for value in row] for row in rows)
    elif output == OutputFormat.json:
        json.dump([dict(zip(columns, row)) for row in rows], sys.stdout, default=_json_value, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        table = Table(*columns, show_lines=False)
        for column in table.columns:
            column.overflow = "fold"
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        show(table)
    if more:
        Console(stderr=True).print(f"[dim](first {len(rows)} rows shown; use --max-rows for more)[/dim]")


def show(table: Table) -> None:
    """A table on stdout: as wide as the terminal (long values wrap), or, when stdout is not a terminal (a file, a
    pipe), as wide as its values, so that nothing is cut or wrapped at an assumed 80 columns."""
    if console.is_terminal:
        console.print(table)
        return
    width = Measurement.get(console, console.options.update(width=WIDEST), table).maximum
    Console(width=width, file=sys.stdout, highlight=False).print(table)


WIDEST = 100_000  # characters: the widest line a table printed to a file may have


def _csv_cell(value):
    """A value as CSV writes it: lists and dicts as JSON, dates and times as ISO 8601, bytes as hex."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=_json_value, ensure_ascii=False)
    return _json_value(value) if isinstance(value, (dt.date, dt.time, bytes)) else value


def _json_value(value):
    """What json cannot write by itself: dates and times as ISO 8601 text, bytes as hex, decimals as numbers."""
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return str(value)


def print_views(con, views: list[str]) -> None:
    for view in views:
        table = Table("column", "type", "description", title=view)
        for name, type_, description in con.execute(
            "SELECT column_name, data_type, coalesce(comment, '') FROM duckdb_columns() WHERE table_name = ? "
            "ORDER BY column_index", [view]
        ).fetchall():
            table.add_row(name, type_, description)
        show(table)


def _prompt(con, max_rows: int) -> None:
    from tasks.query import run_sql

    console.print("SQL over the views above; an empty line or Ctrl-D quits.")
    while True:
        try:
            sql = input("pagefold> ").strip()
        except EOFError:
            break
        if not sql:
            break
        try:
            print_result(*run_sql(con, sql, max_rows))
        except Exception as exc:  # a typo in a query must not end the session
            console.print(f"[red]{exc}[/red]")


def main() -> None:
    """The `pagefold` command: `app`, then an exit that skips the interpreter's tear-down of its modules (0.5 s of
    CPU once Prefect, pandas and spaCy are loaded, seconds on a busy machine), which frees nothing the system
    would not. By then Python has joined the command's threads and run the atexit handlers registered after this
    one (Prefect's, which send the last log lines and events to the API); this one runs last."""
    atexit.register(_exit_now)
    try:
        app()
    except SystemExit as exc:
        _exit_status[0] = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        raise
    except KeyboardInterrupt:
        _exit_status[0] = 130
        raise
    except BaseException:
        _exit_status[0] = 1
        raise


_exit_status = [0]


def _exit_now() -> None:
    logging.shutdown()
    with contextlib.suppress(OSError):  # a reader that went away (`pagefold query | head`)
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(_exit_status[0])


if __name__ == "__main__":
    main()
