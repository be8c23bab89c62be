"""One import framework for every data set.

An importer names its data set (provenance), reads rows from a source, turns each row into a
record in a per-row hook (`transform`, which may reject the row with a reason) and writes the
records in bulk (`load`). The base class gives every importer the same behaviour:

* a dry run unless `commit=True`: the whole import runs, then the transaction is rolled back, so the
  report of a dry run says exactly what a commit would do;
* one transaction: an error part-way leaves nothing behind;
* an ImportEvent with the data-quality report (read / created / updated / unchanged / rejected
  with reasons, and warnings such as rows without a usable location), kept even for dry runs;
* progress on long work.

To add an importer, subclass `Importer` (or a domain base such as the assets app's
`AssetImporter`), set `name`, `dataset` and `source_format`, and write `transform`. See
docs/importers.md.
"""

from __future__ import annotations

import csv
import ctypes
import gc
import itertools
import json
import logging
import multiprocessing
import os
import signal
import sys
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import orjson
from django.db import transaction
from django.utils import timezone

from .models import Dataset, ImportEvent
from .text import control_character_problem

MAX_LISTED_PROBLEMS = 5000
#: Sources this large (bytes) are read in a second process by importers that allow it.
READ_APART_FROM_BYTES = 8 * 1024 * 1024

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Names a GeoJSON `crs` member may give for WGS84 longitude/latitude (RFC 7946 allows only that).
WGS84_NAMES = frozenset(
    {
        "urn:ogc:def:crs:ogc:1.3:crs84",
        "urn:ogc:def:crs:ogc::crs84",
        "urn:ogc:def:crs:epsg::4326",
        "urn:ogc:def:crs:epsg:4326",
        "epsg:4326",
        "crs84",
    }
)


class SourceError(Exception):
    """The source as a whole cannot be read (missing, not CSV/GeoJSON, columns missing)."""


class RowRejected(Exception):
    """This row cannot be imported; the message is the reason shown to the data officer."""


@dataclass(frozen=True)
class DatasetInfo:
    slug: str
    name: str
    licence: str
    publisher: str = ""
    licence_url: str = ""
    attribution: str = ""
    source_url: str = ""
    release: str = ""

    def get_or_create(self) -> Dataset:
        values = {k: v for k, v in self.__dict__.items() if k != "slug"}
        dataset, _ = Dataset.objects.update_or_create(slug=self.slug, defaults=values)
        return dataset


OGL = {
    "licence": "Open Government Licence v3.0",
    "licence_url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}


@dataclass
class Problem:
    row: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"row": self.row, "reason": self.reason}


@dataclass
class ImportReport:
    importer: str
    source: str
    committed: bool = False
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Rows that are not for this import (e.g. another sex's figures) and were passed over.
    skipped: int = 0
    rejected: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    #: Records outside the area an import keeps to (--within), counted by what was done and
    #: why ("located outside the area by its point: left out").
    outside: dict[str, int] = field(default_factory=dict)
    error: str = ""
    #: For an unexpected failure (a bug rather than a bad file): the traceback, for developers.
    traceback: str = ""
    event_id: int | None = None

    def reject(self, row: str, reason: str) -> None:
        self.rejected.append(Problem(row, reason))

    def warn(self, row: str, reason: str) -> None:
        self.warnings.append(Problem(row, reason))

    @property
    def status(self) -> str:
        if self.error:
            return ImportEvent.Status.FAILED
        return ImportEvent.Status.COMMITTED if self.committed else ImportEvent.Status.DRY_RUN

    def counts(self) -> dict[str, int]:
        return {
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "rejected": len(self.rejected),
            "warnings": len(self.warnings),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "importer": self.importer,
            "source": self.source,
            "status": str(self.status),
            "error": self.error,
            **self.counts(),
            "rejected_rows": [p.as_dict() for p in self.rejected[:MAX_LISTED_PROBLEMS]],
            "warning_rows": [p.as_dict() for p in self.warnings[:MAX_LISTED_PROBLEMS]],
            **({"outside_area": self.outside} if self.outside else {}),
            **({"traceback": self.traceback} if self.traceback else {}),
        }


ProgressCallback = Callable[[int, int | None], None]


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


class Importer(ABC):
    """Base of every importer. Subclasses set the class attributes and write `transform`."""

    #: Short name used on the command line and in import history.
    name: ClassVar[str]
    #: One line for `--list` and help pages.
    description: ClassVar[str] = ""
    #: Provenance of what this importer loads.
    dataset: ClassVar[DatasetInfo | None] = None
    #: "csv" or "geojson"; or override `read_rows`.
    source_format: ClassVar[str] = "csv"
    #: Columns (CSV) or properties (GeoJSON) that must be present, or the source is refused.
    required_columns: ClassVar[frozenset[str]] = frozenset()
    #: Default file, relative to settings.LIVINGMAP_DATA_DIR, for the built-in data sets.
    default_path: ClassVar[str] = ""
    #: A source with no rows at all is refused (almost always the wrong file or a failed
    #: export); an importer whose source may rightly be empty (a feed) sets this.
    allow_empty: ClassVar[bool] = False
    #: Set by an importer whose `load` may be given its records in parts of this many (each
    #: part's rows written before the next is read) and whose `transform` keeps nothing for
    #: `load`: a large source (READ_APART_FROM_BYTES) is then read and transformed in a second
    #: process while the parts before are loaded. None: `load` gets every record at once.
    load_in_parts_of: ClassVar[int | None] = None

    def __init__(self, source: str | Path | None = None, **options: Any) -> None:
        if source is None:
            from django.conf import settings

            if not self.default_path:
                raise SourceError(f"{self.name}: give the file to import")
            source = Path(settings.LIVINGMAP_DATA_DIR) / self.default_path
        self.source = Path(source)
        self.options = options
        self.dataset_row: Dataset | None = None
        #: Whether this run loads its records in parts (see `load_in_parts_of`).
        self.in_parts = False
        #: What `load` keeps from one part to the next, afresh for every run.
        self.run_state: dict[str, Any] = {}
        #: Warnings about the row being transformed (`warn`), put on the report with its row.
        self.row_warnings: list[str] = []

    # -- reading ---------------------------------------------------------------------------
    def read_rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield (row label, row) pairs. The label says where a problem is ("line 12")."""
        if self.source_format == "csv":
            yield from read_csv(self.source, self.required_columns)
        elif self.source_format == "geojson":
            yield from read_geojson_features(self.source, self.required_columns)
        else:  # pragma: no cover - a programming error in a subclass
            raise NotImplementedError(self.source_format)

    def count_rows(self) -> int | None:
        """Rows to expect, for the progress bar; None when unknown."""
        return None

    # -- per-row and bulk hooks ------------------------------------------------------------
    @abstractmethod
    def transform(self, row: dict[str, Any], label: str) -> Any:
        """Turn one source row into a record; raise RowRejected(reason) to refuse it, or
        return None to pass over a row that is not for this import (counted as skipped)."""

    @abstractmethod
    def load(self, records: list[tuple[str, Any]], report: ImportReport) -> None:
        """Write the records (in bulk), counting created / updated / unchanged on the report."""

    def warn(self, label: str, reason: str) -> None:
        """From `transform` or `check`: a warning about this row (a value that cannot be used,
        left out), reported with the row if the row is imported."""
        self.row_warnings.append(reason)

    def check(self, record: Any, label: str) -> Any:
        """After `transform`: check (and clean) the record as a whole, e.g. against the
        domain's record schema; `warn` about values that cannot be used. Returns the record."""
        return record

    def before(self, report: ImportReport) -> None:  # noqa: B027 - optional hook
        """Runs inside the transaction before the rows are read."""

    def after(self, report: ImportReport) -> None:  # noqa: B027 - optional hook
        """Runs inside the transaction after `load` (e.g. recomputing derived data)."""

    # -- running ---------------------------------------------------------------------------
    def run(
        self, *, commit: bool = False, progress: ProgressCallback | None = None
    ) -> ImportReport:
        report = ImportReport(importer=self.name, source=str(self.source))
        started = timezone.now()
        self.run_state = {}
        try:
            with cycle_collector_paused(), transaction.atomic():
                if self.dataset is not None:
                    self.dataset_row = self.dataset.get_or_create()
                self.before(report)
                total = self.count_rows()
                self.in_parts = self._reads_apart()
                if self.in_parts:
                    with closing(self._parts_read_apart(report, progress, total)) as parts:
                        for part in parts:
                            self.load(part, report)
                    self._refuse_if_empty(report)
                else:
                    records = list(self._records(report, progress, total))
                    if progress:
                        progress(report.read, total)
                    self._refuse_if_empty(report)
                    self.load(records, report)
                self.after(report)
                if not commit:
                    raise _DryRun
            report.committed = True
        except _DryRun:
            report.committed = False
        except SourceError as exc:
            report.error = str(exc)
        except Exception as exc:
            # A bug or a database error rather than a bad file. The transaction has been rolled
            # back, so nothing was written; the failure is still recorded, with the traceback.
            logger.exception("import %s from %s failed", self.name, self.source)
            report.committed = False
            report.error = f"the import stopped with an unexpected error: {exc!r}"
            report.traceback = traceback.format_exc()
        self._record_event(report, started)
        return report

    def _refuse_if_empty(self, report: ImportReport) -> None:
        if report.read == 0 and not self.allow_empty:
            raise SourceError(f"{self.source.name} has no rows to import")

    def _records(
        self, report: ImportReport, progress: ProgressCallback | None, total: int | None
    ) -> Iterator[tuple[str, Any]]:
        """(label, record) for every row `transform` accepts, counting the rest on the report."""
        for label, row in self.read_rows():
            report.read += 1
            if progress and report.read % 1000 == 0:
                progress(report.read, total)
            if isinstance(row, dict) and None in row:
                problem = _shape_problem(row.pop(None))
                if problem:
                    report.reject(label, problem)
                    continue
            if isinstance(row, dict) and (problem := control_character_problem(row)):
                report.reject(label, problem)  # (PostgreSQL cannot store NUL; see core.text)
                continue
            warnings = self.row_warnings
            try:
                record = self.transform(row, label)
                if record is not None:
                    record = self.check(record, label)
            except RowRejected as exc:
                warnings.clear()
                report.reject(label, str(exc))
                continue
            if warnings:
                for reason in warnings:
                    report.warn(label, reason)
                warnings.clear()
            if record is None:
                report.skipped += 1
            else:
                yield label, record

    # -- reading in a second process, for large sources ------------------------------------
    def _reads_apart(self) -> bool:
        """Whether this run reads its source in a second process (see `load_in_parts_of`)."""
        if not self.load_in_parts_of or "fork" not in multiprocessing.get_all_start_methods():
            return False
        if not sys.platform.startswith("linux"):
            return False  # fork is only dependable on Linux (macOS's own libraries refuse it)
        try:
            size = self.source.stat().st_size
        except OSError:
            return False  # reading in this process says what is wrong with the file
        return size >= self.options.get("read_apart_from_bytes", READ_APART_FROM_BYTES)

    def _parts_read_apart(
        self, report: ImportReport, progress: ProgressCallback | None, total: int | None
    ) -> Iterator[list[tuple[str, Any]]]:
        """The records, in parts of `load_in_parts_of`, from a second process that reads and
        transforms the source while this one loads the parts before: on two cores, reading
        then costs almost nothing. Each part's counts and rejected rows go on the report as the
        part arrives.

        The reader is forked after `before` ran, so it has the importer as it stands; it only
        reads, transforms and sends (never the database: the connection is this process's, in
        its transaction), and leaves without running any clean-up of ours."""
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        reader = context.Process(
            target=self._read_for_parent, args=(send, receive, os.getpid()), daemon=True
        )
        reader.start()
        send.close()
        try:
            while True:
                try:
                    kind, payload, tally = receive.recv()
                except EOFError:
                    raise RuntimeError("the process reading the source stopped") from None
                if tally is not None:
                    report.read += tally.read
                    report.skipped += tally.skipped
                    report.rejected += tally.rejected
                    report.warnings += tally.warnings
                    if progress:
                        progress(report.read, total)
                if kind == "part":
                    yield payload
                elif kind == "source":
                    raise SourceError(payload)
                elif kind == "error":
                    raise RuntimeError(f"reading the source failed:\n{payload}")
                else:
                    return
        finally:
            receive.close()
            if reader.is_alive():
                reader.terminate()
            reader.join()

    def _read_for_parent(self, send: Any, receive: Any, parent: int) -> None:
        """In the reading process: send ("part", records, tally) for each part, then ("done",
        None, tally), or ("source" | "error", message, tally) if reading fails; each tally
        counts the rows read, skipped and rejected since the one before.

        The reader dies with its parent and never touches the parent's database connection
        (see `detach_from_parent`): an import killed part-way leaves no session behind holding
        its transaction's locks."""
        receive.close()  # the parent's end: once the parent is gone, a send fails at once
        detach_from_parent(parent)
        # The first parts are smaller (a tenth, then three tenths, nine tenths), so that the
        # writing starts at once rather than after a whole part has been read.
        limit = self.load_in_parts_of or 1
        sizes = (min(limit, max(1, limit // 10) * 3**k) for k in itertools.count())
        size = next(sizes)
        counts = ImportReport(importer=self.name, source=str(self.source))
        told = [0, 0, 0, 0]  # read, skipped, rejected, warnings: as far as sent

        def tally() -> ImportReport:
            now = [counts.read, counts.skipped, len(counts.rejected), len(counts.warnings)]
            since = ImportReport(
                importer=self.name,
                source=str(self.source),
                read=now[0] - told[0],
                skipped=now[1] - told[1],
                rejected=counts.rejected[told[2] :],
                warnings=counts.warnings[told[3] :],
            )
            told[:] = now
            return since

        part: list[tuple[str, Any]] = []
        sent = False
        try:
            for item in self._records(counts, None, None):
                part.append(item)
                if len(part) >= size:
                    if os.getppid() != parent:  # orphaned (where the kernel cannot tell us)
                        os._exit(1)
                    send.send(("part", part, tally()))
                    part, sent, size = [], True, next(sizes)
            if part or not sent:
                send.send(("part", part, tally()))
            send.send(("done", None, tally()))
        except SourceError as exc:
            send.send(("source", str(exc), tally()))
        except Exception:  # sent to the parent, which fails the import with it
            send.send(("error", traceback.format_exc(), tally()))
        finally:
            send.close()

    def _record_event(self, report: ImportReport, started: Any) -> None:
        dataset = self.dataset_row if report.committed else None
        if dataset is None and self.dataset is not None:
            dataset = Dataset.objects.filter(slug=self.dataset.slug).first()
        counts = report.counts()
        event = ImportEvent.objects.create(
            importer=self.name,
            dataset=dataset,
            source=str(self.source)[:500],
            status=report.status,
            started_at=started,
            finished_at=timezone.now(),
            read=counts["read"],
            created=counts["created"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            rejected=counts["rejected"],
            report=report.as_dict(),
        )
        report.event_id = event.pk


#: Database connections a reading process inherited: kept referenced so that they are never
#: finalised there (a finalised libpq connection sends the server its Terminate message).
_INHERITED_CONNECTIONS: list[Any] = []
PR_SET_PDEATHSIG = 1


def detach_from_parent(parent: int) -> None:
    """In a process forked to help an import (it reads and transforms, and never needs the
    database): die with the parent, and let go of the parent's database sockets.

    * On Linux, the kernel sends this process SIGKILL when its parent dies (prctl
      PR_SET_PDEATHSIG); if the parent died before that was set, this process ends now. Where
      there is no prctl the reader checks its parent between parts, and its sends fail once the
      parent's end of the pipe is gone.
    * The forked process shares each open database connection's socket with its parent. While
      it holds its copy, a parent killed mid-import does not close the connection: the server
      keeps the session idle in transaction, with its locks, and the next import of the same
      data set waits for them. Closing the connection here is wrong too: Django's close, or
      libpq's PQfinish when the connection is freed, sends the server a Terminate message on
      the shared socket, ending the parent's session. So this process's copy of each socket is
      replaced with /dev/null (dup2): the socket is then held by the parent alone, and anything
      that ever writes to the connection here writes to nothing. The connection objects are
      kept referenced, so they are never finalised, and any use of them here fails at once
      (the "server" reads as closed) instead of touching the parent's session.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
            pass
    if os.getppid() != parent:
        os._exit(1)
    from django.db import connections

    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        for wrapper in connections.all(initialized_only=True):
            raw = wrapper.connection
            if raw is None:
                continue
            _INHERITED_CONNECTIONS.append(raw)
            fd = _socket_of(raw)
            if fd is not None and fd >= 0:
                os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _socket_of(raw: Any) -> int | None:
    """The socket of a driver's connection (psycopg: `pgconn.socket`), or None (SQLite: a file
    this process only reads through the parent's locks, and never writes)."""
    pgconn = getattr(raw, "pgconn", None)
    if pgconn is not None:
        try:
            return int(pgconn.socket)
        except Exception:  # a connection already closed has no socket
            return None
    fileno = getattr(raw, "fileno", None)
    if callable(fileno):
        try:
            return int(fileno())
        except Exception:
            return None
    return None


class MisshapenRow(str):
    """Why a CSV row does not fit its header, kept under the row's None key by `read_csv`
    (where csv.DictReader keeps a list of the values beyond the header's columns)."""


def _shape_problem(value: Any) -> str:
    """The reason to refuse a row from what `read_csv` (or csv.DictReader) left under its None
    key, or '' if it is harmless (blank values after the last column: a trailing comma)."""
    if isinstance(value, MisshapenRow):
        return str(value)
    extra = [v for v in value or [] if str(v).strip()]
    if not extra:
        return ""
    return (
        f"{len(extra)} more value(s) than the header has columns "
        "(is there a comma inside a value that is not in quotes?)"
    )


def _swallowed_lines(values: list[str], width: int, delimiter: str = ",") -> int:
    """How many whole rows one value holds: the sign of a quote (") opened and never closed,
    after which the reader takes every following line into that value until the next quote."""
    if width < 3:
        return 0
    return sum(
        1
        for value in values
        if "\n" in value
        for line in value.splitlines()[1:]
        if line.count(delimiter) >= width - 1
    )


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector for a bulk job, as bulk loaders do.

    An import makes millions of small objects (rows, records, values) that live until it ends,
    and the collector, triggered by every 700 new objects, walks all of them again and again
    looking for cycles that are not there: a fifth of a national import's time (measured with
    `make bench`). Reference counting still frees everything as usual; cycles made meanwhile
    are collected when the collector resumes."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def alongside(statement: Callable[[], None], work: Callable[[], T]) -> T:
    """Run `work` in a second thread while this thread runs `statement`, and return what the
    work gives.

    For one long SQL statement (an INSERT … SELECT) during which the database needs nothing of
    Python, so Python's lock is free for the work: the two go on together on two cores. The
    work must not touch the database (the connection is this thread's, and busy). Not for a
    statement that gives Python back control row by row, as executemany does: each row would
    wait for the work to let go of the lock."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        done = pool.submit(work)
        statement()
        return done.result()


def json_text(value: Any) -> str:
    """A value as JSON text, for bulk writes of JSON columns: what Django's JSONField stores
    (json.dumps), written by orjson, which is several times faster (a national import writes
    a JSON record per row). Values orjson will not write the same way (dates, numbers beyond 64
    bits, ...) go through json.dumps, so they are stored, or refused, as the ORM would."""
    try:
        return orjson.dumps(value, option=_ORJSON_AS_JSON).decode()
    except TypeError:
        return json.dumps(value)


#: orjson hands these back to json.dumps (which refuses them, as JSONField does).
_ORJSON_AS_JSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def chunked(items: list[Any], size: int) -> Iterator[list[Any]]:
    """Slices of a list, for IN queries that must stay under a database's parameter limit."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


#: Characters people put between values instead of the comma, in the order we suspect them.
OTHER_DELIMITERS = (";", "\t", "|")


def other_delimiter(header: list[str], delimiter: str = ",") -> str:
    """The delimiter a file seems to use instead of `delimiter`, judged from its header: one
    column whose name holds another delimiter several times ('' if nothing is wrong)."""
    if len(header) != 1:
        return ""
    return next((d for d in OTHER_DELIMITERS if d != delimiter and header[0].count(d) >= 2), "")


def _encoding_problem(path: Path, encoding: str, where: str = "") -> str:
    if encoding.lower().replace("_", "-") in {"utf-8", "utf-8-sig", "utf8"}:
        return (
            f"{path.name} is not UTF-8 text{where}, so not a CSV file we can read: "
            "save it as 'CSV UTF-8' and try again"
        )
    return f"{path.name} is not {encoding} text{where}"


def read_csv(
    path: Path,
    required: frozenset[str] = frozenset(),
    *,
    encoding: str = "utf-8-sig",
    delimiter: str = ",",
) -> Iterator[tuple[str, dict]]:
    """Rows of a CSV file (UTF-8 with or without a byte-order mark, unless told otherwise)
    labelled by line number, keyed by the header's column names (trimmed).

    Lines with no value at all (as spreadsheets leave at the end) are passed over. A row that
    does not fit the header keeps why under its None key (see `MisshapenRow`), and the import
    refuses it with that reason: more values than columns, fewer, or a value that swallowed
    whole rows because a quote was never closed.
    """
    try:
        handle = path.open(newline="", encoding=encoding)
    except OSError as exc:
        raise SourceError(f"cannot open {path}: {exc.strerror}") from exc
    except LookupError as exc:
        raise SourceError(f"there is no text encoding called '{encoding}'") from exc
    with handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = [name.strip() for name in next(reader, [])]
            while header and not header[-1]:
                header.pop()  # blank columns at the end (a trailing comma) name nothing
        except UnicodeDecodeError as exc:
            raise SourceError(_encoding_problem(path, encoding)) from exc
        except csv.Error as exc:
            raise SourceError(f"{path.name} is not a readable CSV file ({exc})") from exc
        columns = set(header) - {""}
        if not columns:
            raise SourceError(f"{path.name} is empty: it has no header row")
        other = other_delimiter(header, delimiter)
        if other:
            raise SourceError(
                f"{path.name} seems to have {other!r} between its values, not {delimiter!r}: "
                "save it again as CSV (comma delimited)"
            )
        missing = sorted(required - columns)
        if missing:
            raise SourceError(
                f"{path.name} lacks the column(s) {', '.join(missing)}; "
                f"it has {', '.join(sorted(columns))}"
            )
        width = len(header)
        try:
            # Rows as csv.DictReader gives them (values beyond the header's columns in a list
            # under None), built more cheaply.
            first = reader.line_num  # the header's last line
            for values in reader:
                label = f"line {reader.line_num}"
                if reader.line_num > first + 1:  # a value ran over several lines
                    label = f"lines {first + 1}-{reader.line_num}"
                    # Only a row that does not fit the header may have swallowed others: a
                    # description over two lines, with commas in it, is just that.
                    swallowed = len(values) != width and _swallowed_lines(values, width, delimiter)
                    if swallowed:
                        row: dict[Any, Any] = dict(zip(header, values, strict=False))
                        row[None] = MisshapenRow(
                            f"a value runs over {reader.line_num - first} lines and holds "
                            f'{swallowed} whole row(s): is a quote (") missing its closing quote?'
                        )
                        first = reader.line_num
                        yield label, row
                        continue
                first = reader.line_num
                if len(values) == width and (values[0] or any(v.strip() for v in values)):
                    yield label, dict(zip(header, values, strict=True))
                elif not any(v.strip() for v in values):
                    continue  # an empty line, or one of only delimiters
                elif len(values) > width:
                    row = dict(zip(header, values, strict=False))
                    row[None] = values[width:]
                    yield label, row
                else:
                    row = dict.fromkeys(header)
                    row.update(zip(header, values, strict=False))
                    row[None] = MisshapenRow(
                        f"{width - len(values)} fewer value(s) than the header has columns "
                        "(is a comma missing, or the row cut short?)"
                    )
                    yield label, row
        except UnicodeDecodeError as exc:
            raise SourceError(
                _encoding_problem(path, encoding, f" (after line {reader.line_num})")
            ) from exc
        except csv.Error as exc:
            raise SourceError(f"{path.name} line {reader.line_num}: {exc}") from exc


def read_geojson_features(
    path: Path, required: frozenset[str] = frozenset()
) -> Iterator[tuple[str, dict]]:
    """Features of a GeoJSON FeatureCollection as rows: properties plus a `geometry` key."""
    try:
        with path.open(encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise SourceError(f"cannot open {path}: {exc.strerror}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path.name} is not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise SourceError(f"{path.name} is not a GeoJSON FeatureCollection")
    crs = _crs_name(data.get("crs"))
    if crs and crs.lower() not in WGS84_NAMES:
        raise SourceError(
            f"{path.name} is in the coordinate system {crs}, not WGS84 longitude/latitude: "
            "convert it first (for example: ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson)"
        )
    features = data.get("features")
    if not isinstance(features, list):
        raise SourceError(f"{path.name} has no list of features")
    if features and required:
        present = set((features[0].get("properties") or {}).keys())
        missing = sorted(required - present)
        if missing:
            raise SourceError(f"{path.name} features lack the properties {', '.join(missing)}")
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            yield f"feature {number}", {"geometry": None}
            continue
        row = dict(feature.get("properties") or {})
        row["geometry"] = feature.get("geometry")
        if "id" in feature and "id" not in row:
            row["id"] = feature["id"]
        yield f"feature {number}", row


def _crs_name(crs: Any) -> str:
    """The name in a (pre-RFC 7946) GeoJSON `crs` member, or '' if there is none."""
    if not isinstance(crs, dict):
        return ""
    properties = crs.get("properties")
    name = properties.get("name") if isinstance(properties, dict) else None
    return str(name) if name else ""
