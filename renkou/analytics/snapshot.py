"""The analytics snapshot (分析快照): the register and the ledger as Parquet, by county.

:func:`write_snapshot` streams the org tree, the persons and the life events out of the
Django database (any backend) in chunks — the SQL of a ``values_list(...)`` queryset read
through a chunked cursor (server-side on PostgreSQL), ``BATCH_ROWS`` rows at a time, into
PyArrow record batches, so memory stays bounded whatever the size of the register — and writes::

    <RENKOU_ANALYTICS_DIR>/snapshot/
        org_units/county=340621/*.parquet   org_id, code, name, level, path, parent_code,
                                            urban_rural, kind
        persons/county=340621/*.parquet     person_id, sex, birth_date, registered_org_id,
                                            household_id, mother_id, father_id, birth_order,
                                            marital_status, hukou_type, status
        events/county=340621/*.parquet      the *effective* ledger: event_id, person_id,
                                            event_type, event_date, org_id, household_id,
                                            mother_id, father_id, birth_order,
                                            marital_status, spouse_id, from_org_id,
                                            relationship, corrected
        migrant_spells/county=340621/*.parquet  the migrant spells (流动人口, when the
                                            migrants app is installed): spell_id,
                                            person_id, direction (in | out), hukou_code,
                                            residence_org_id, residence_code,
                                            manager_org_id, start_date, end_date,
                                            end_reason, reason
        service_encounters/county=340621/*.parquet  the service encounters (服务记录, when
                                            the services app is installed): encounter_id,
                                            person_id, service_code, org_id (the service
                                            unit), date, stats_consent, at_risk, referred,
                                            migrant_at_residence
        service_requests/county=340621/*.parquet  the requests for a service: request_id,
                                            person_id, service_code, org_id, requested_on,
                                            state, served_on

partitioned (hive style) by the six-digit county code of the unit: a person's registered
unit, an event's unit, a spell's managing unit (管理地), an encounter's service unit, a
request's unit.

No result of a service leaves the database: an encounter brings no item value, only
``at_risk`` (the service's risk item read as a flag) and ``referred``, and those two
only when the person has an active consent of purpose "statistics" on the day of the
snapshot (``stats_consent``, for every service or this one; null otherwise). That a
service was received (service, unit, day, whether she was a migrant served at her
residence) is no result and comes for every encounter. A request's ``served_on`` is the
day of the first encounter that served it, or its closing day when it was closed as
served. Corrections are already resolved by the SQL form of
:func:`renkou.register.ledger.resolve` (:mod:`renkou.analytics.sql.ledger`): an event
takes the date, unit and details its correction chain leaves it with, or is dropped
when the chain leaves it void; the corrections that supersede events are not in the
snapshot (corrections of identity fields are, with type ``correction``). The payload
fields the statistics need are flattened into columns.

A record merged into another as a duplicate (status ``merged``, see
:mod:`renkou.dedupe`) is left out with all its events and spells: the statistics count each person
once, over the whole history, as if the duplicate had never been registered (挤干水分).
Un-merging brings it back at the next refresh.

The new snapshot is written next to the old one and swapped in at the end, so a reader
never sees half of one.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from tqdm import tqdm

from renkou.orgunits.models import OrgUnit
from renkou.register.models import LifeEvent, Person

from .sql.snapshot import partition_sql

__all__ = ["BATCH_ROWS", "snapshot_dir", "write_snapshot"]

#: Rows per Arrow record batch (and per database fetch).
BATCH_ROWS = 100_000

PERSON_SCHEMA = pa.schema([
    ("person_id", pa.int64()), ("sex", pa.string()), ("birth_date", pa.string()),
    ("registered_org_id", pa.int64()), ("household_id", pa.int64()), ("mother_id", pa.int64()),
    ("father_id", pa.int64()), ("birth_order", pa.int64()), ("marital_status", pa.string()),
    ("hukou_type", pa.string()), ("status", pa.string()),
])
RAW_EVENT_SCHEMA = pa.schema([
    ("id", pa.int64()), ("person_id", pa.int64()), ("event_type", pa.string()),
    ("event_date", pa.string()), ("org_id", pa.int64()), ("payload", pa.string()),
    ("supersedes_id", pa.int64()),
])
MIGRANT_SPELL_SCHEMA = pa.schema([
    ("spell_id", pa.int64()), ("person_id", pa.int64()), ("direction", pa.string()),
    ("hukou_code", pa.string()), ("residence_org_id", pa.int64()), ("residence_code", pa.string()),
    ("manager_org_id", pa.int64()), ("start_date", pa.string()), ("end_date", pa.string()),
    ("end_reason", pa.string()), ("reason", pa.string()),
])
#: Booleans travel as 0/1 (the database drivers differ) and are cast in the partitioning.
SERVICE_ENCOUNTER_SCHEMA = pa.schema([
    ("encounter_id", pa.int64()), ("person_id", pa.int64()), ("service_code", pa.string()),
    ("org_id", pa.int64()), ("date", pa.string()), ("stats_consent", pa.int64()),
    ("at_risk", pa.int64()), ("referred", pa.int64()), ("migrant_at_residence", pa.int64()),
])
SERVICE_REQUEST_SCHEMA = pa.schema([
    ("request_id", pa.int64()), ("person_id", pa.int64()), ("service_code", pa.string()),
    ("org_id", pa.int64()), ("requested_on", pa.string()), ("state", pa.string()),
    ("served_on", pa.string()),
])
ORG_SCHEMA = pa.schema([
    ("org_id", pa.int64()), ("code", pa.string()), ("name", pa.string()), ("level", pa.int64()),
    ("path", pa.string()), ("parent_code", pa.string()), ("urban_rural", pa.string()),
    ("kind", pa.string()),
])


def snapshot_dir(base: Path | None = None) -> Path:
    """Where the snapshot lives: ``<RENKOU_ANALYTICS_DIR>/snapshot``."""
    return Path(base or settings.RENKOU_ANALYTICS_DIR) / "snapshot"


#: The file in the snapshot folder naming the ledger state it was read from.
LEDGER_STATE = "ledger_state.json"


def write_snapshot(base: Path | None = None, progress: bool = False) -> dict[str, Any]:
    """Write the snapshot of the register and the effective ledger; return counts and timings.

    ``base`` defaults to ``settings.RENKOU_ANALYTICS_DIR``. ``progress`` draws progress
    bars on stderr.
    """
    base = Path(base or settings.RENKOU_ANALYTICS_DIR)
    base.mkdir(parents=True, exist_ok=True)
    final = snapshot_dir(base)
    work = base / "snapshot.new"
    raw = base / "snapshot.raw"
    for stale in (work, raw):
        shutil.rmtree(stale, ignore_errors=True)
    raw.mkdir()
    report: dict[str, Any] = {}
    started = time.perf_counter()
    # One read transaction on PostgreSQL: the three streams see one state of the database
    # and run through server-side cursors. On SQLite a transaction would take the write lock.
    with transaction.atomic() if connection.vendor == "postgresql" else nullcontext():
        ledger = LifeEvent.objects.aggregate(last=models.Max("pk"), n=models.Count("pk"))
        report["ledger_last_event_id"] = ledger["last"] or 0
        report["org_units"] = _write_raw(
            raw / "org_units.parquet", ORG_SCHEMA,
            OrgUnit.objects.order_by("pk").values_list(
                "pk", "code", "name", "level", "path", "parent__code", "urban_rural", "kind"),
            None, None)
        report["persons"] = _write_raw(
            raw / "persons.parquet", PERSON_SCHEMA,
            Person.objects.order_by().annotate(bd=Cast("birth_date", models.CharField()))
            .values_list("pk", "sex", "bd", "registered_org_id", "household_id", "mother_id",
                         "father_id", "birth_order", "marital_status", "hukou_type", "status"),
            _("snapshot: persons") if progress else None, Person.objects.count)
        report["ledger_events"] = _write_raw(
            raw / "events.parquet", RAW_EVENT_SCHEMA,
            LifeEvent.objects.order_by().annotate(
                d=Cast("event_date", models.CharField()), p=Cast("payload", models.TextField()))
            .values_list("pk", "person_id", "event_type", "d", "org_id", "p", "supersedes_id"),
            _("snapshot: ledger") if progress else None, LifeEvent.objects.count)
        report["migrant_spells"] = _write_raw(
            raw / "migrant_spells.parquet", MIGRANT_SPELL_SCHEMA, _migrant_spells(), None, None)
        encounters, requests = _service_records()
        report["service_encounters"] = _write_raw(
            raw / "service_encounters.parquet", SERVICE_ENCOUNTER_SCHEMA, encounters, None, None)
        report["service_requests"] = _write_raw(
            raw / "service_requests.parquet", SERVICE_REQUEST_SCHEMA, requests, None, None)
    report["read_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    report["effective_events"] = _partition(raw, work)
    report["partition_seconds"] = time.perf_counter() - started

    # which ledger state the figures rest on: the last event read (the ledger only grows)
    (work / LEDGER_STATE).write_text(json.dumps({
        "ledger_last_event_id": report["ledger_last_event_id"],
        "ledger_events": report["ledger_events"]}), encoding="utf-8")
    old = base / "snapshot.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    work.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(raw, ignore_errors=True)
    return report


def _migrant_spells() -> models.QuerySet | None:
    """The migrant spells as a values_list in the columns of :data:`MIGRANT_SPELL_SCHEMA`,
    or ``None`` when the migrants app is not installed (the file is then empty)."""
    if not apps.is_installed("renkou.migrants"):
        return None
    spells = apps.get_model("migrants", "MigrantSpell").objects.order_by()
    return (spells.annotate(sd=Cast("start_date", models.CharField()),
                            ed=Cast("end_date", models.CharField()))
            .values_list("pk", "person_id", "direction", "hukou_code", "residence_org_id",
                         "residence_code", "manager_org_id", "sd", "ed", "end_reason", "reason"))


def _flag(condition: Any) -> models.Case:
    """1 where ``condition`` holds, else 0 (an integer on every backend)."""
    return models.Case(models.When(condition, then=models.Value(1)), default=models.Value(0),
                       output_field=models.IntegerField())


def _service_records() -> tuple[models.QuerySet | None, models.QuerySet | None]:
    """The encounters and requests as values_lists in the columns of
    :data:`SERVICE_ENCOUNTER_SCHEMA` and :data:`SERVICE_REQUEST_SCHEMA`, or ``None`` when
    the services app is not installed (the files are then empty).

    ``stats_consent``: the person has an active consent of purpose "statistics" today, for
    every service or for this one (:func:`renkou.services.models.active_q`); ``at_risk``
    and ``referred`` are read only then (else NULL: her results stay in the database)."""
    if not apps.is_installed("renkou.services"):
        return None, None
    from renkou.core import clock
    from renkou.services.models import Purpose, RequestState, active_q

    consent = apps.get_model("services", "Consent").objects
    encounter = apps.get_model("services", "Encounter").objects
    request = apps.get_model("services", "ServiceRequest").objects
    agreed = models.Exists(
        consent.filter(person=models.OuterRef("person_id"), purpose=Purpose.STATISTICS)
        .filter(models.Q(service_code=models.OuterRef("service_code")) | models.Q(service_code=""))
        .filter(active_q(clock.today())))
    stats = models.Q(stats_consent=1)
    encounters = (
        encounter.order_by()
        .annotate(d=Cast("date", models.CharField()), stats_consent=_flag(agreed))
        .annotate(risk=models.Case(models.When(stats & models.Q(at_risk=True), then=models.Value(1)),
                                   models.When(stats & models.Q(at_risk=False), then=models.Value(0)),
                                   default=None, output_field=models.IntegerField()),
                  ref=models.Case(models.When(stats, then=_flag(models.Q(referred=True))),
                                  default=None, output_field=models.IntegerField()),
                  mig=_flag(models.Q(migrant_at_residence=True)))
        .values_list("pk", "person_id", "service_code", "org_id", "d", "stats_consent", "risk",
                     "ref", "mig"))
    first = (encounter.filter(request=models.OuterRef("pk")).order_by("date", "pk")
             .values("date")[:1])
    served = models.Case(
        models.When(models.Exists(encounter.filter(request=models.OuterRef("pk"))),
                    then=models.Subquery(first)),
        models.When(state=RequestState.SERVED, then=models.F("closed_on")),
        default=None, output_field=models.DateField())
    requests = (request.order_by()
                .annotate(r=Cast("requested_on", models.CharField()),
                          s=Cast(served, models.CharField()))
                .values_list("pk", "person_id", "service_code", "org_id", "r", "state", "s"))
    return encounters, requests


def _batches(query: models.QuerySet, size: int) -> Iterator[list[tuple]]:
    """The rows of a values_list queryset, ``size`` at a time, through a chunked
    (server-side on PostgreSQL) cursor. Every column is cast to text or an integer in
    SQL, so no Django converter is needed and the rows are used as they come."""
    sql, params = query.query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(size):
            yield chunk


def _write_raw(path: Path, schema: pa.Schema, query: models.QuerySet | None, desc: str | None,
               count: Callable[[], int] | None) -> int:
    """Stream ``query`` (a values_list) into one Parquet file, batch by batch (``None``: a
    file with no rows)."""
    n = 0
    total = count() if (desc and count) else None
    with pq.ParquetWriter(path, schema, compression="zstd") as writer, \
            tqdm(total=total, desc=desc, unit=" rows", unit_scale=True, disable=desc is None,
                 mininterval=0.5) as bar:
        for chunk in _batches(query, BATCH_ROWS) if query is not None else ():
            columns = list(zip(*chunk))  # noqa: B905 (the rows come from one query)
            arrays = [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)]
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
            n += len(chunk)
            bar.update(len(chunk))
    return n


def _partition(raw: Path, out: Path) -> int:
    out.mkdir()
    con = duckdb.connect()
    try:
        _configure(con, raw)
        for statement in partition_sql(_sql_path(raw), _sql_path(out)):
            con.execute(statement)
        if not list((out / "events").glob("*/*.parquet")):
            return 0  # an empty ledger writes no files
        row = con.execute(
            f"SELECT count(*) FROM read_parquet('{_sql_path(out)}/events/*/*.parquet')"
        ).fetchone()
        assert row is not None  # count(*) answers one row
        return row[0]
    finally:
        con.close()


def _configure(con: duckdb.DuckDBPyConnection, spill: Path) -> None:
    """Memory limit and spill folder for a DuckDB connection of the analytics jobs."""
    limit = getattr(settings, "RENKOU_ANALYTICS_MEMORY_LIMIT", None) or "4GB"
    con.execute(f"SET memory_limit = '{limit}'")
    con.execute(f"SET temp_directory = '{_sql_path(spill)}/duckdb_tmp'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
