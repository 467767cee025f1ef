"""The computed indicators (``<RENKOU_ANALYTICS_DIR>/indicators.duckdb``), read side:
where the file is, a read-only connection, and "not computed yet", once for the pages,
the commands and the API."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from .periods import Period

__all__ = ["NoIndicators", "OutdatedIndicators", "indicators_path", "has_indicators", "connect",
           "rows", "list_periods",
           "refresh_info"]


class NoIndicators(RuntimeError):
    """No indicators have been computed yet (``renkou analytics refresh`` has not run), or
    the file is empty or half-written; ``path`` names the file."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        super().__init__(_("no indicators have been computed yet; run "
                           "`renkou analytics refresh` first"))


class OutdatedIndicators(NoIndicators):
    """The indicators file was written by an older renkou whose table lacks columns this
    one reads (e.g. the migrants' places): read as not computed, until the next refresh."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path)
        self.args = (_("the indicators were computed by an older version of renkou; run "
                       "`renkou analytics refresh` to compute them again"),)

    def __str__(self) -> str:
        return str(self.args[0])


def indicators_path() -> Path:
    """``<RENKOU_ANALYTICS_DIR>/indicators.duckdb``."""
    return Path(settings.RENKOU_ANALYTICS_DIR) / "indicators.duckdb"


def has_indicators() -> bool:
    """Whether a refresh has written the indicators file."""
    return indicators_path().is_file()


def connect():
    """A read-only connection to the indicators file; :class:`NoIndicators` if absent,
    :class:`OutdatedIndicators` if an older version wrote it (a column is missing)."""
    import duckdb

    from .schema import DIMENSION_COLUMNS

    path = indicators_path()
    if not path.is_file():
        raise NoIndicators(path)
    try:
        con = duckdb.connect(str(path), read_only=True)
        con.execute("SELECT 1 FROM indicator_values LIMIT 0")
    except duckdb.Error as exc:  # an empty or half-written file
        raise NoIndicators(path) from exc
    try:
        con.execute(f"SELECT {', '.join(DIMENSION_COLUMNS)} FROM indicator_values LIMIT 0")
    except duckdb.Error as exc:
        con.close()
        raise OutdatedIndicators(path) from exc
    return con


def rows(con, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """The rows of a query as dicts."""
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def list_periods(con=None) -> list[Period]:
    """Every period the indicators cover, newest first within each kind."""
    own = con is None
    con = con or connect()
    try:
        found = con.execute(
            "SELECT DISTINCT period, period_kind, period_start, period_end FROM indicator_values"
        ).fetchall()
    finally:
        if own:
            con.close()
    kinds = ["year", "stat_year", "half", "quarter", "month"]
    periods = [Period(label=r[0], kind=r[1], start=r[2], end=r[3]) for r in found]
    return sorted(periods, key=lambda p: (kinds.index(p.kind) if p.kind in kinds else 9,
                                          -(p.end.toordinal() if p.end else 0), p.label))


def refresh_info(con) -> dict[str, str]:
    """When the indicators were computed and from which ledger state: ``computed_at``
    (ISO time), ``today`` (the day taken as today), ``ledger_last_event_id`` and
    ``ledger_events`` (the ledger as the snapshot read it; absent in older files)."""
    import duckdb

    try:
        return dict(con.execute("SELECT key, value FROM refresh_info").fetchall())
    except duckdb.Error:
        return {}
