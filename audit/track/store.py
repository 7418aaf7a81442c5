"""Storage of election-night batches on SQLAlchemy Core: a SQLite file or a shared server.

One database tracks one election. Four tables, created on the first ``add``:

``track_meta``
    ``key``/``value`` pairs: schema version, election id, candidate keys, region levels.
``track_batches``
    One row per file received: ``id`` (arrival order), ``kind`` (``entry`` for a data-entry
    batch, ``third`` for third readings of disputed sheets), ``file``, ``sha256``, ``bytes``,
    ``sender``, ``received_at`` (UTC, ISO 8601), ``mapping``, ``rows_read``, ``accepted``,
    ``quarantined``, ``duplicates``, ``package_version``. A file re-sent by the same sender
    (same SHA-256 and kind) is recognised and not stored twice.
``track_readings``
    One row per accepted sheet of a batch, in canonical columns (``docs/schema.md``) plus
    ``batch_id`` and ``line``. Readings are only ever appended: a second transcription of a
    table is a second row, never an update, so nothing a desk sent is lost.
``track_quarantine``
    The quarantined rows of every batch (``batch_id``, ``line``, ``rule``, ``column``,
    ``value``, ``message``).

Writers are serialised (``BEGIN IMMEDIATE`` on SQLite, a transaction-level advisory lock on
PostgreSQL), so several entry desks can add at the same time: each batch is one transaction
and nothing is lost. Readers see one consistent snapshot (a read transaction; repeatable
read on PostgreSQL). The consolidation of readings into one sheet per table is
:mod:`audit.track.state`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from audit._version import __version__
from audit.errors import AuditError
from audit.ingest import IngestResult
from audit.model import (
    OPTIONAL_COUNTS,
    Election,
    region_code_column,
    region_name_column,
    vote_column,
)
from audit.track.state import TrackState, consolidate

SCHEMA_VERSION = 1
#: Kinds of batch: data entry (first and second readings) and third readings.
KINDS = ("entry", "third")
#: Seconds a writer waits for another desk's transaction before giving up.
LOCK_TIMEOUT = 120
_PG_LOCK = 0x454C4543  # advisory lock id of the tracker ("ELEC")


class TrackError(AuditError):
    """The tracking database cannot be used as asked (one line for the user)."""


def database_url(db: str | Path) -> sa.URL:
    """The SQLAlchemy URL of ``--db``: a file path means SQLite; ``postgresql://`` (or
    ``postgres://``) uses the psycopg driver; any other SQLAlchemy URL is taken as it is."""
    text = str(db)
    if "://" not in text:
        return sa.URL.create("sqlite", database=str(Path(text).expanduser().resolve()))
    try:
        url = sa.make_url(text)
    except ArgumentError:
        raise TrackError(f"--db {redact(text)}: not a file path or a database URL") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def redact(db: str | Path | sa.URL) -> str:
    """The database as it may be printed: passwords hidden."""
    if isinstance(db, sa.URL):
        if db.get_backend_name() == "sqlite" and db.database:
            return db.database
        return db.render_as_string(hide_password=True)
    text = str(db)
    if "://" not in text:
        return text
    try:
        return sa.make_url(text).render_as_string(hide_password=True)
    except ArgumentError:
        return text.split("://", 1)[0] + "://…"


@dataclass(frozen=True)
class BatchReceipt:
    """What ``add`` did with one file: the batch id, or the earlier batch with its bytes."""

    batch_id: int
    file: str
    sha256: str
    kind: str
    new: bool
    rows_read: int
    accepted: int
    quarantined: int
    duplicates: int

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class TrackStore:
    """The tracking database of one election (see the module docstring).

    Use :meth:`open`; every method opens its own short transaction, so one store object can
    serve a long-running process.
    """

    def __init__(self, engine: Engine, election: Election, label: str,
                 candidates: Sequence[str], levels: Sequence[str]) -> None:
        self.engine = engine
        self.election = election
        self.label = label
        self.candidates = tuple(candidates)
        self.levels = tuple(levels)
        self.metadata = sa.MetaData()
        self.meta = sa.Table("track_meta", self.metadata,
                             sa.Column("key", sa.String(64), primary_key=True),
                             sa.Column("value", sa.Text, nullable=False))
        self.batches = sa.Table(
            "track_batches", self.metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("file", sa.Text, nullable=False),
            sa.Column("sha256", sa.String(64), nullable=False),
            sa.Column("bytes", sa.BigInteger, nullable=False),
            sa.Column("sender", sa.Text, nullable=False),
            sa.Column("received_at", sa.String(32), nullable=False),
            sa.Column("mapping", sa.Text, nullable=False),
            sa.Column("rows_read", sa.Integer, nullable=False),
            sa.Column("accepted", sa.Integer, nullable=False),
            sa.Column("quarantined", sa.Integer, nullable=False),
            sa.Column("duplicates", sa.Integer, nullable=False),
            sa.Column("package_version", sa.String(32), nullable=False),
            sa.UniqueConstraint("sha256", "sender", "kind", name="track_batches_resent"))
        columns: list[sa.Column[Any]] = [
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("batch_id", sa.Integer, sa.ForeignKey("track_batches.id"),
                      nullable=False, index=True),
            sa.Column("line", sa.Integer, nullable=False)]
        for level in self.levels:
            columns += [sa.Column(region_code_column(level), sa.Text),
                        sa.Column(region_name_column(level), sa.Text)]
        columns += [sa.Column("center_id", sa.Text, nullable=False),
                    sa.Column("table_id", sa.Text, nullable=False)]
        columns += [sa.Column(c, sa.BigInteger) for c in self.optional_counts]
        columns += [sa.Column(c, sa.BigInteger, nullable=False) for c in self.required_counts]
        self.readings = sa.Table("track_readings", self.metadata, *columns,
                                 sa.Index("track_readings_key", "center_id", "table_id"))
        self.quarantine = sa.Table(
            "track_quarantine", self.metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("batch_id", sa.Integer, sa.ForeignKey("track_batches.id"),
                      nullable=False, index=True),
            sa.Column("line", sa.Integer, nullable=False),
            sa.Column("rule", sa.String(64), nullable=False),
            sa.Column("column", sa.Text, nullable=False),
            sa.Column("value", sa.Text, nullable=False),
            sa.Column("message", sa.Text, nullable=False))

    # -- opening ------------------------------------------------------------------------------
    optional_counts: tuple[str, ...] = ("registered", "voters", "null", "blank")

    @property
    def required_counts(self) -> tuple[str, ...]:
        return ("valid", *(vote_column(k) for k in self.candidates))

    @property
    def count_columns(self) -> tuple[str, ...]:
        """Every count column of a reading, in canonical order."""
        return ("registered", "voters", "valid", "null", "blank",
                *(vote_column(k) for k in self.candidates))

    @classmethod
    def open(cls, db: str | Path, election: Election, *, create: bool = False) -> TrackStore:
        """Open the tracking database ``db`` of ``election``.

        With ``create=False`` the database must already hold tracking data (``status`` and
        ``export`` never create a file); with ``create=True`` the tables are made on first use.
        A database of another election, or whose candidates differ, is refused.
        """
        url = database_url(db)
        label = redact(url)
        if url.get_backend_name() == "sqlite" and url.database:
            path = Path(url.database)
            if not create and not path.is_file():
                raise TrackError(f"no tracking database at {db}; start one with "
                                 f"'track CASE --db {db} add FILE'")
            if create and not path.parent.is_dir():
                raise TrackError(f"--db {db}: folder {path.parent} does not exist")
        engine = _engine(url)
        try:
            with engine.connect() as conn:
                present = sa.inspect(conn).has_table("track_meta")
                stored = {str(k): str(v) for k, v in conn.execute(
                    sa.text("SELECT key, value FROM track_meta"))} if present else {}
        except SQLAlchemyError as exc:
            raise TrackError(f"cannot open the tracking database {label}: "
                             f"{_reason(exc)}") from None
        if not stored and not create:
            raise TrackError(f"{label} holds no tracking data; start with "
                             f"'track CASE --db … add FILE'")
        if stored:
            if stored.get("election") != election.id:
                raise TrackError(f"{label} tracks election {stored.get('election')!r}, not "
                                 f"{election.id!r}")
            if int(stored.get("schema_version", 0)) != SCHEMA_VERSION:
                raise TrackError(f"{label} has tracking schema version "
                                 f"{stored.get('schema_version')}; this election-audit reads "
                                 f"version {SCHEMA_VERSION}")
            candidates = json.loads(stored["candidates"])
            levels = json.loads(stored["levels"])
            if list(candidates) != list(election.candidate_keys):
                raise TrackError(f"{label} was started with candidates "
                                 f"{', '.join(candidates)}; the case now lists "
                                 f"{', '.join(election.candidate_keys)}")
            return cls(engine, election, label, candidates, levels)
        store = cls(engine, election, label, election.candidate_keys, election.region_levels)
        store._create()
        return store

    def _create(self) -> None:
        rows = {"schema_version": str(SCHEMA_VERSION), "election": self.election.id,
                "candidates": json.dumps(list(self.candidates)),
                "levels": json.dumps(list(self.levels)), "created_by": __version__}
        with self._write() as conn:
            self.metadata.create_all(conn)
            have = {k for (k,) in conn.execute(sa.select(self.meta.c.key))}
            if "election" not in have:  # another desk may have created it meanwhile
                conn.execute(self.meta.insert(), [{"key": k, "value": v}
                                                  for k, v in rows.items()])

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One serialised write transaction."""
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(track_write=True)
                with conn.begin():
                    if self.engine.dialect.name == "postgresql":
                        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"),
                                     {"k": _PG_LOCK})
                    yield conn
        except OperationalError as exc:
            raise TrackError(f"cannot write to {self.label}: {_reason(exc)}") from None

    # -- adding -------------------------------------------------------------------------------
    def add(self, result: IngestResult, *, sender: str, kind: str = "entry",
            mapping: str = "", received_at: dt.datetime | None = None) -> BatchReceipt:
        """Record one ingested file as a batch: its readings, quarantine and provenance.

        A file the same sender sent before (same SHA-256, same kind) is not added again; the
        receipt names the earlier batch (``new=False``). The same bytes from another sender
        are an independent transcription that agrees, and are added.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if len(result.files) != 1:
            raise ValueError("one batch is one file")
        prov = result.files[0]
        sheets = result.sheets
        missing = [k for k in self.candidates if k not in sheets.candidates]
        if missing:
            raise TrackError(f"{prov.path}: the mapping lacks candidates "
                             f"{', '.join(missing)} of {self.election.id} (a batch must give "
                             f"every candidate's votes)")
        extra = [lv for lv in sheets.levels if lv not in self.levels]
        if extra:
            raise TrackError(f"{prov.path}: region level {', '.join(extra)} is not a level of "
                             f"{self.election.id} ({', '.join(self.levels) or 'none'})")
        when = (received_at or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
        stamp = when.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
        counts = dict(rows_read=result.rows_read, accepted=result.accepted,
                      quarantined=result.quarantined, duplicates=result.duplicates_collapsed)
        readings = self._reading_rows(result)
        quarantine = [{"line": int(r["line"]), "rule": str(r["rule"]),
                       "column": str(r["column"]), "value": str(r["value"]),
                       "message": str(r["message"])}
                      for r in result.quarantine.to_dict("records")]
        with self._write() as conn:
            earlier = conn.execute(sa.select(self.batches.c.id, self.batches.c.kind).where(
                self.batches.c.sha256 == prov.sha256, self.batches.c.sender == sender,
                self.batches.c.kind == kind)).first()
            if earlier is not None:
                return BatchReceipt(batch_id=int(earlier.id), file=prov.path,
                                    sha256=prov.sha256, kind=str(earlier.kind), new=False,
                                    **counts)
            inserted = conn.execute(self.batches.insert().values(
                kind=kind, file=prov.path, sha256=prov.sha256, bytes=prov.bytes,
                sender=sender, received_at=stamp, mapping=mapping or result.profile.name,
                package_version=__version__, **counts)).inserted_primary_key
            assert inserted is not None
            batch_id = int(inserted[0])
            if readings:
                conn.execute(self.readings.insert(),
                             [{**row, "batch_id": batch_id} for row in readings])
            if quarantine:
                conn.execute(self.quarantine.insert(),
                             [{**row, "batch_id": batch_id} for row in quarantine])
        return BatchReceipt(batch_id=batch_id, file=prov.path, sha256=prov.sha256, kind=kind,
                            new=True, **counts)

    def _reading_rows(self, result: IngestResult) -> list[dict[str, Any]]:
        """The accepted sheets as rows of ``track_readings`` (missing values as None)."""
        data = result.sheets.data
        n = len(data)
        cols: dict[str, list[Any]] = {"line": data["line"].astype(np.int64).tolist()}
        for level in self.levels:
            for name in (region_code_column(level), region_name_column(level)):
                cols[name] = _text_list(data[name]) if name in data else [None] * n
        for name in ("center_id", "table_id"):
            cols[name] = data[name].astype("string").fillna("").tolist()
        for name in self.count_columns:
            if name not in data:
                cols[name] = [None] * n
            elif name in OPTIONAL_COUNTS:
                cols[name] = [None if v is pd.NA else int(v)
                              for v in data[name].astype("Int64").tolist()]
            else:
                cols[name] = data[name].astype(np.int64).tolist()
        names = list(cols)
        return [dict(zip(names, values, strict=True))
                for values in zip(*cols.values(), strict=True)]

    # -- reading ------------------------------------------------------------------------------
    def read(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Batches, readings and quarantine, read in one consistent snapshot.

        Batches in arrival order (columns of ``track_batches``); readings in (batch, id)
        order with counts as nullable Int64; quarantined rows in (batch, id) order.
        """
        queries = (sa.select(self.batches).order_by(self.batches.c.id),
                   sa.select(self.readings).order_by(self.readings.c.batch_id,
                                                     self.readings.c.id),
                   sa.select(self.quarantine).order_by(self.quarantine.c.batch_id,
                                                       self.quarantine.c.id))
        frames = []
        try:
            with self.engine.connect() as conn:
                if self.engine.dialect.name == "postgresql":
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    for query in queries:
                        result = conn.execute(query)
                        frames.append(pd.DataFrame(result.all(), columns=list(result.keys())))
        except SQLAlchemyError as exc:
            raise TrackError(f"cannot read {self.label}: {_reason(exc)}") from None
        batches, readings, quarantine = frames
        for name in self.count_columns:
            readings[name] = readings[name].astype("Int64")
        for name in ("id", "batch_id", "line"):
            readings[name] = readings[name].astype(np.int64)
        return batches, readings, quarantine

    def state(self) -> TrackState:
        """The consolidated state of the night so far (:func:`audit.track.state.consolidate`)."""
        batches, readings, quarantine = self.read()
        return consolidate(batches, readings, quarantine, election=self.election,
                           candidates=self.candidates, levels=self.levels)


def _text_list(series: pd.Series) -> list[str | None]:
    return [None if v is pd.NA or v is None else str(v)
            for v in series.astype("string").tolist()]


def _reason(exc: Exception) -> str:
    """The first line of a database error, without the SQL statement."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc)
    return " ".join(text.strip().splitlines()[0].split()) if text.strip() else type(exc).__name__


def _engine(url: sa.URL) -> Engine:
    """An engine whose write transactions are serialised across processes."""
    if url.get_backend_name() != "sqlite":
        try:
            return sa.create_engine(url, pool_pre_ping=True,
                                    connect_args={"connect_timeout": 15})
        except (ArgumentError, ImportError) as exc:
            raise TrackError(f"cannot use {redact(url)}: {_reason(exc)} (PostgreSQL needs "
                             f"the driver: pip install 'election-audit[postgresql]')") from None
    engine = sa.create_engine(url, connect_args={"timeout": LOCK_TIMEOUT})

    @sa.event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # a writer takes the write lock before it reads, so two desks never interleave
        write = conn.get_execution_options().get("track_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
