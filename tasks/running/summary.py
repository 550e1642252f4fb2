"""The run summary: what went in, what came out, and whether the two reconcile."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from tasks.records import Counts


NO_RAW_OBJECTS = "No raw objects"  # the name of the Completed state of a run whose days had nothing to read


def state_label(state_type: str, name: str) -> str:
    """How a run's end reads in tables and plans: `Completed` for a completed run whose state is named by its counts
    (`counts_name`), else the state's name (`No raw objects`, `Failed`, `Crashed`, ...). `state_type`: Prefect's
    state type, e.g. COMPLETED."""
    return "Completed" if state_type == "COMPLETED" and name != NO_RAW_OBJECTS else name


class ReconciliationError(Exception):
    """Pages read and rows written disagree: something was lost or doubled."""


@dataclass
class DayResult:
    counts: Counts = field(default_factory=Counts)
    written: dict | None = None  # rows per dataset, and documents_by_kind
    failures: list[str] = field(default_factory=list)
    empty: str = ""  # the folder where no raw object was listed: the day's output is left as it was
    drift: list[dict] | None = None  # the committed day's drift alarms (flows.drift); None: not checked

    @property
    def state(self) -> str:
        if self.failures:
            return "failed: " + "; ".join(self.failures)
        return f"no raw objects under {self.empty}, left as it was" if self.empty else "committed"


class RunSummary:
    def __init__(self, run_id: str, days: list[str]):
        self.run_id = run_id
        self.days = {day: DayResult() for day in days}
        self._started = time.monotonic()
        self.seconds = 0.0

    def add_batch(self, day: str, outcome: Counts | BaseException) -> None:
        if isinstance(outcome, BaseException):
            self.add_failure(day, outcome)
        else:
            self.days[day].counts.merge(outcome)

    def add_failure(self, day: str, error: BaseException) -> None:
        self.days[day].failures.append(f"{type(error).__name__}: {error}")

    def add_commit(self, day: str, written: dict) -> None:
        """Record what the commit wrote (`running.commit.commit_day`'s counts); repeated captures it found move
        from documents to rejects."""
        result = self.days[day]
        duplicates = written.get("duplicates", 0)
        if duplicates:
            for kind, n in written.get("duplicates_by_kind", {}).items():
                result.counts.add_document(kind, -n)
            result.counts.entities -= written.get("duplicate_entities", 0)
            result.counts.add_reject("duplicate_capture", duplicates)
        result.written = {name: written[name] for name in ("documents", "entities", "rejects", "documents_by_kind")}

    def add_drift(self, day: str, alarms: list[dict] | None) -> None:
        """Record the drift alarms of a committed day (dicts with hostname, measure, message); None: not checked."""
        self.days[day].drift = alarms

    @property
    def drift_alarms(self) -> list[dict]:
        return [alarm for result in self.days.values() for alarm in result.drift or []]

    def finish(self) -> None:
        self.seconds = time.monotonic() - self._started

    def mark_empty(self, day: str, folder: str) -> None:
        """No raw object was listed under `folder`, the day's: its output is left as it was."""
        self.days[day].empty = folder

    @property
    def empty_days(self) -> dict[str, str]:
        """Days without raw objects, and the folder each was looked for in."""
        return {day: result.empty for day, result in self.days.items() if result.empty}

    def empty_message(self) -> str:
        return "; ".join(f"no raw objects under {folder}" for folder in self.empty_days.values()) + \
            ": left as it was (a wrong source, or a day not landed yet?)"

    def complete_days(self) -> list[str]:
        """Days to commit: every batch succeeded and there was something to read."""
        return [day for day, result in self.days.items() if not result.failures and not result.empty]

    @property
    def failed_days(self) -> list[str]:
        return [day for day, result in self.days.items() if result.failures]

    @property
    def failures(self) -> dict[str, list[str]]:
        return {day: result.failures for day, result in self.days.items() if result.failures}

    @property
    def mismatches(self) -> list[str]:
        """Every way a committed day fails to reconcile; empty when all is accounted for."""
        problems = []
        for day, result in self.days.items():
            c = result.counts
            if c.pages != c.documents + c.rejected:
                problems.append(f"{day}: {c.pages} pages read but {c.documents} documents + {c.rejected} rejects")
            if sum(c.kinds.values()) != c.documents:
                problems.append(f"{day}: {c.documents} documents but {_by_reason(c.kinds)} by kind")
            produced = {"documents": c.documents, "entities": c.entities, "rejects": c.rejected,
                        "documents_by_kind": c.kinds}
            if result.written is not None and result.written != produced:
                problems.append(f"{day}: batches produced {produced}, the commit wrote {result.written}")
        return problems

    @property
    def reconciled(self) -> bool:
        return not self.mismatches

    @property
    def totals(self) -> Counts:
        total = Counts()
        for result in self.days.values():
            total.merge(result.counts)
        return total

    @property
    def pages_per_second(self) -> float:
        return self.totals.pages / self.seconds if self.seconds else 0.0

    def headline(self) -> str:
        t = self.totals
        verdict = "reconciled" if self.reconciled else "NOT reconciled"
        reasons = f" ({_by_reason(t.rejects)})" if t.rejects else ""
        return (f"{t.objects} objects, {t.pages} pages = {t.documents} documents + {t.rejected} rejects{reasons} "
                f"({verdict}), {t.entities} entities, in {self.seconds:.1f} s, {self.pages_per_second:.1f} pages/s")

    @property
    def committed_days(self) -> list[str]:
        return [day for day, result in self.days.items() if result.written is not None]

    def stopped(self, signal_name: str) -> str:
        """What a stopped run did and left: the message of its Cancelled state, one line, naming the days it
        committed before the stop (each day is committed as soon as its batches are done)."""
        committed, total = self.committed_days, len(self.days)
        if not committed:
            days = f"no day committed, all {total} left as they were"
        else:
            left = total - len(committed)
            days = f"{len(committed)} of {total} day(s) committed ({day_ranges(committed)})"
            days += f", the other {left} left as they were (mode missing reruns only those)" if left else ""
        return (f"stopped by {signal_name} after {self.seconds:.1f} s: {days}; this run's staging removed, its day "
                "locks released")

    def counts_name(self) -> str:
        """The name of a completed run's state, the first thing its page in the Prefect UI shows (and every list of
        runs): `120 pages: 110 documents, 10 rejects`."""
        t = self.totals
        return f"{t.pages} pages: {t.documents} documents, {t.rejected} rejects"

    def markdown(self) -> str:
        """The run's report for its markdown artifact: the headline, a table of its days, the reject reasons and
        drift alarms of each day, the failures; narrow enough for the Prefect UI at 1280 px."""
        t = self.totals
        lines = [f"## {t.pages} pages = {t.documents} documents + {t.rejected} rejects", "",
                 f"{self.headline()}.", "", "| day | state | objects | pages | documents | rejects | entities |",
                 "|---|---|---|---|---|---|---|"]
        for day, result in self.days.items():
            c = result.counts
            state = "failed" if result.failures else "no raw objects" if result.empty else \
                "committed" if result.written is not None else "not committed"
            lines.append(f"| {day} | {state} | {c.objects} | {c.pages} | {c.documents} | {c.rejected} | {c.entities} |")
        lines.append(f"| **all days** | {'reconciled' if self.reconciled else 'NOT reconciled'} | {t.objects} | "
                     f"{t.pages} | {t.documents} | {t.rejected} | {t.entities} |")
        lines += ["", "**Rejects by reason**", ""]
        lines += [f"- {day}: {_by_reason(result.counts.rejects) or 'none'}" for day, result in self.days.items()]
        lines += ["", "**Drift alarms**", ""]
        lines += [f"- {day}: {'not checked' if result.drift is None else _drift(result.drift)}"
                  for day, result in self.days.items()]
        problems = [f"- {day}: {state}" for day, result in self.days.items()
                    if (state := result.state) != "committed" and not result.empty]
        problems += [f"- {problem}" for problem in self.mismatches]
        return "\n".join(lines + (["", "**Not committed**", "", *problems] if problems else [])) + "\n"

    def lines(self) -> list[str]:
        out = [f"run {self.run_id}: {self.headline()}"]
        for day, result in self.days.items():
            c = result.counts
            kinds = f" ({_by_reason(c.kinds)})" if c.kinds else ""
            reasons = f" ({_by_reason(c.rejects)})" if c.rejects else ""
            out.append(f"  {day}: {c.objects} objects, {c.pages} pages, {c.documents} documents{kinds}, "
                       f"{c.rejected} rejects{reasons}, {c.entities} entities - {result.state}")
            if result.drift:
                out.append(f"  {day}: drift alarms: {_drift(result.drift)}")
        return out

    def table_rows(self) -> list[dict]:
        """One row per day, for the run's table artifact."""
        return [_row(day, result.counts, result.state, _drift(result.drift)) for day, result in self.days.items()]

    def total_row(self) -> dict:
        """The run's totals, with its time and speed, to close the table."""
        total = _row("all days", self.totals, "reconciled" if self.reconciled else "NOT reconciled",
                     str(len(self.drift_alarms)))
        total.update({"seconds": round(self.seconds, 1), "pages per second": round(self.pages_per_second, 1)})
        return total

    def as_dict(self) -> dict:
        t = self.totals
        return {
            "run_id": self.run_id,
            "days": list(self.days),
            "objects": t.objects,
            "pages": t.pages,
            "documents": t.documents,
            "rejects": t.rejected,
            "rejects_by_reason": dict(sorted(t.rejects.items())),
            "documents_by_kind": dict(sorted(t.kinds.items())),
            "entities": t.entities,
            "seconds": round(self.seconds, 3),
            "pages_per_second": round(self.pages_per_second, 2),
            "reconciled": self.reconciled,
            "days_without_raw_objects": self.empty_days,
            "drift_alarms": [{key: alarm[key] for key in ("date", "hostname", "measure", "message")}
                             for alarm in self.drift_alarms],
        }


def _row(label: str, c: Counts, state: str, drift: str) -> dict:
    return {"date": label, "objects": c.objects, "pages": c.pages, "documents": c.documents,
            "documents by kind": _by_reason(c.kinds) or "-", "rejects": c.rejected,
            "rejects by reason": _by_reason(c.rejects) or "-", "entities": c.entities, "state": state,
            "drift alarms": drift, "seconds": "", "pages per second": ""}


def _drift(alarms: list[dict] | None) -> str:
    """Alarms as 'host: measure, measure; host: measure'; 'none', or '-' when the day was not checked."""
    if alarms is None:
        return "-"
    by_host: dict[str, list[str]] = {}
    for alarm in alarms:
        by_host.setdefault(alarm["hostname"], []).append(alarm["measure"])
    return "; ".join(f"{host}: {', '.join(measures)}" for host, measures in by_host.items()) or "none"


def _by_reason(rejects: dict[str, int]) -> str:
    return ", ".join(f"{reason}: {n}" for reason, n in sorted(rejects.items(), key=lambda kv: (-kv[1], kv[0])))


def day_ranges(days: list[str]) -> str:
    """Days (YYYY-MM-DD, in order) with runs of consecutive days as ranges: '2026-11-01..2026-11-09, 2026-11-12'."""
    runs: list[list[dt.date]] = []
    for day in map(dt.date.fromisoformat, days):
        if runs and day == runs[-1][-1] + dt.timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(f"{run[0]}..{run[-1]}" if len(run) > 1 else f"{run[0]}" for run in runs)
