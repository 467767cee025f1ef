"""The org tree as a spreadsheet, in and out (the table reader and writer are
:mod:`renkou.core.tables`).

The org tree file has the columns ``code, name, kind, parent_code, urban_rural``,
one unit per row. Import is all or nothing: every row is checked first and every
problem is reported by row (as the user sees it in the spreadsheet: the header is
row 1), column and reason; only a file without problems is written, in one
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from renkou.core import audit
from renkou.core.columns import Column, coded_values, machine_header
from renkou.core.models import AuditAction
from renkou.core.tables import ImportRejected, Problems, RowError, TableWriter, read_table

from .models import KIND_LEVEL, OrgKind, OrgLevel, OrgUnit, UrbanRural

__all__ = [
    "ORG_COLUMNS",
    "ORG_FILE_COLUMNS",
    "export_orgunits",
    "validate_orgunits",
    "import_orgunits",
    "code_problem",
]

ORG_COLUMNS = ("code", "name", "kind", "parent_code", "urban_rural")

#: the same columns as an office writes them (代码, 名称 …); see renkou.core.columns
ORG_FILE_COLUMNS = (
    Column("code", "区划代码", ("统计用区划代码", "代码", "单位代码")),
    Column("name", "名称", ("单位名称", "区划名称")),
    Column("kind", "类型", ("单位类型", "级别")),
    Column("parent_code", "上级区划代码", ("上级代码",)),
    Column("urban_rural", "城乡分类", ("城乡",)),
)


# --------------------------------------------------------------------------- org tree


def export_orgunits(out: str | Path) -> int:
    """Write the whole org tree, parents before children; return the number of units."""
    rows = (
        OrgUnit.objects.order_by("path")
        .values_list("code", "name", "kind", "parent__code", "urban_rural")
    )
    n = 0
    with TableWriter(out, ORG_COLUMNS, "orgunits") as writer:
        for code, name, kind, parent_code, urban_rural in rows.iterator(chunk_size=2000):
            writer.writerow([code, name, kind, parent_code or "", urban_rural])
            n += 1
    return n


def code_problem(code: str, level: int, parent_code: str | None) -> str | None:
    """Why ``code`` is not a valid division code for a unit at ``level`` under
    ``parent_code`` (None when it is valid).

    Codes are 2+2+2+3+3 digits (统计用区划代码): a county ends in six zeros, a
    township in three and shares its county's first six digits, a village shares
    its township's first nine; a group extends its village's 12 digits by three.
    """
    length = 15 if level == OrgLevel.GROUP else 12
    if len(code) != length or not code.isdigit():
        return _("the code must be %(n)s digits") % {"n": length}
    if level == OrgLevel.COUNTY:
        if code[6:] != "000000" or code[4:6] == "00":
            return _("a county code has six significant digits followed by six zeros")
        return None
    if parent_code is None:
        return None
    if level == OrgLevel.TOWNSHIP:
        ok = code[:6] == parent_code[:6] and code[6:9] != "000" and code[9:] == "000"
        rule = _("a township code is its county's first 6 digits, 3 digits (not 000), then 000")
    elif level == OrgLevel.VILLAGE:
        ok = code[:9] == parent_code[:9] and code[9:] != "000"
        rule = _("a village code is its township's first 9 digits and 3 digits (not 000)")
    else:
        ok = code[:12] == parent_code and code[12:] != "000"
        rule = _("a group code is its village's 12 digits and 3 digits (not 000)")
    return None if ok else rule


@dataclass(slots=True)
class _OrgRow:
    row: int
    code: str
    name: str
    kind: str
    level: int
    parent_code: str | None
    urban_rural: str


def validate_orgunits(path: str | Path, *, user=None) -> tuple[list[_OrgRow], list[RowError]]:
    """Check every row of an org tree file; return the rows and all problems. With
    ``user``, every unit must fall in that user's subtree: a new unit under a unit the
    user sees, an existing one among them (a county only by an administrator)."""
    written, rows = read_table(path)
    header = machine_header(written, ORG_FILE_COLUMNS)  # 区划代码 → code …
    errors = Problems()
    missing = [c for c in ORG_COLUMNS if c not in header and c != "parent_code"]
    if missing:
        for col in missing:
            errors.append(RowError(written.row, col, _("the column is missing")))
        return [], errors
    index = {name: i for i, name in enumerate(header)}
    kinds = coded_values(OrgKind, {"县": "county", "区": "district", "乡": "township",
                                   "镇": "town", "街道办事处": "street", "村": "village",
                                   "居委会": "community", "社区居委会": "community",
                                   "村民小组": "group", "组": "group"})
    classes = coded_values(UrbanRural, {"城镇": "urban", "乡村": "rural", "农村": "rural"})
    parsed: list[_OrgRow] = []
    seen: dict[str, int] = {}
    for rownum, cells in enumerate(rows, start=written.row + 1):
        if not any(cells):
            continue

        def cell(name: str, cells: list[str] = cells) -> str:
            i = index.get(name)
            return cells[i] if i is not None and i < len(cells) else ""

        code, name, kind_text = cell("code"), cell("name"), cell("kind")
        class_text = cell("urban_rural")
        kind = kinds.get(kind_text.lower(), kind_text.lower())
        urban_rural = classes.get(class_text.lower(), class_text.lower())
        parent_code = cell("parent_code") or None
        bad = False
        if not name:
            errors.append(RowError(rownum, "name", _("the name is required")))
            bad = True
        elif len(name) > 100:
            errors.append(RowError(rownum, "name", _("the name is longer than 100 characters"),
                                   name))
            bad = True
        if kind not in OrgKind.values:
            errors.append(RowError(rownum, "kind", _("unknown kind; use one of: %(choices)s")
                                   % {"choices": ", ".join(map(str, OrgKind.labels))},
                                   kind_text))
            bad = True
        if urban_rural not in UrbanRural.values:
            errors.append(RowError(rownum, "urban_rural", _("use urban or rural"), class_text))
            bad = True
        if not code:
            errors.append(RowError(rownum, "code", _("the code is required")))
            continue
        if code in seen:
            errors.append(RowError(rownum, "code", _("the code is repeated (first in row %(row)s)")
                                   % {"row": seen[code]}, code))
            continue
        seen[code] = rownum
        if bad:
            continue
        level = int(KIND_LEVEL[OrgKind(kind)])
        parsed.append(_OrgRow(rownum, code, name, kind, level, parent_code, urban_rural))

    in_file = {r.code: r for r in parsed}
    codes = list(in_file) + [r.parent_code for r in parsed if r.parent_code]
    existing = {
        o.code: o for o in OrgUnit.objects.filter(code__in=set(codes)).select_related("parent")
    } if codes else {}
    for r in parsed:
        if r.level == OrgLevel.COUNTY:
            if r.parent_code:
                errors.append(RowError(r.row, "parent_code",
                                       _("a county or district is a root and has no parent"),
                                       r.parent_code))
                continue
        else:
            if not r.parent_code:
                errors.append(RowError(r.row, "parent_code", _("the parent code is required")))
                continue
            parent = in_file.get(r.parent_code) or existing.get(r.parent_code)
            if parent is None:
                errors.append(RowError(r.row, "parent_code",
                                       _("no org unit has this code, in the file or the database"),
                                       r.parent_code))
                continue
            if parent.level != r.level - 1:
                errors.append(RowError(
                    r.row, "parent_code",
                    _("the parent is a %(parent)s; a %(kind)s belongs under a %(expected)s")
                    % {"parent": OrgLevel(parent.level).label, "kind": OrgKind(r.kind).label,
                       "expected": OrgLevel(r.level - 1).label},
                    r.parent_code))
                continue
        problem = code_problem(r.code, r.level, r.parent_code)
        if problem:
            errors.append(RowError(r.row, "code", problem, r.code))
            continue
        old = existing.get(r.code)
        if old is not None:
            old_parent = old.parent.code if old.parent_id else None
            if old.kind != r.kind or old_parent != r.parent_code:
                errors.append(RowError(
                    r.row, "code",
                    _("this unit exists with another kind or parent; import cannot move units"),
                    r.code))
    if user is not None:
        _check_scope(parsed, errors, user, existing)
    errors.sort(key=lambda e: e.row)
    return parsed, errors


def _check_scope(rows: list[_OrgRow], errors: Problems, user,
                 existing: dict[str, OrgUnit]) -> None:
    """Every unit in ``user``'s subtree (its new units under one the user sees)."""
    if user.is_superuser:
        return
    visible = set(OrgUnit.objects.visible_to(user).values_list("code", flat=True))
    allowed = set(visible)
    for r in sorted(rows, key=lambda r: r.level):  # parents before children
        if r.code in existing:
            ok = r.code in visible
        else:
            ok = r.parent_code is not None and r.parent_code in allowed
        if ok:
            allowed.add(r.code)
        else:
            errors.append(RowError(r.row, "code", _("this unit is outside the units you "
                                                    "manage"), r.code))


def import_orgunits(path: str | Path, *, user=None) -> dict[str, int]:
    """Import an org tree file, all or nothing (with ``user``: only within its subtree).

    New units are created, existing ones (same code, kind and parent) get the
    file's name and urban/rural class. Raises :class:`ImportRejected` listing
    every problem when any row is invalid; returns counts otherwise.
    """
    rows, errors = validate_orgunits(path, user=user)
    if errors:
        raise ImportRejected(errors, len(rows))
    created = updated = 0
    with transaction.atomic():
        by_code = {o.code: o for o in OrgUnit.objects.filter(code__in=[r.code for r in rows])}
        parents = {
            o.code: o
            for o in OrgUnit.objects.filter(code__in={r.parent_code for r in rows if r.parent_code})
        }
        for level in sorted({r.level for r in rows}):
            new: list[OrgUnit] = []
            for r in (r for r in rows if r.level == level):
                old = by_code.get(r.code)
                if old is not None:
                    if (old.name, old.urban_rural) != (r.name, r.urban_rural):
                        old.name, old.urban_rural = r.name, r.urban_rural
                        old.save(update_fields=["name", "urban_rural"])
                        updated += 1
                    parents[r.code] = old
                    continue
                parent = parents.get(r.parent_code) if r.parent_code else None
                unit = OrgUnit(
                    code=r.code, name=r.name, kind=r.kind, level=r.level, parent=parent,
                    urban_rural=r.urban_rural,
                    path=f"{parent.path}/{r.code}" if parent else r.code,
                )
                new.append(unit)
            OrgUnit.objects.bulk_create(new, batch_size=500)
            created += len(new)
            # bulk_create sets primary keys on PostgreSQL and SQLite (RETURNING).
            for unit in new:
                parents[unit.code] = unit
        audit.record(AuditAction.IMPORT, "orgunits", details={
            "file": Path(path).name, "rows": len(rows), "created": created, "updated": updated},
            user=user)
    return {"created": created, "updated": updated, "rows": len(rows)}
