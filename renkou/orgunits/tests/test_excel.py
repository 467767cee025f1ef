"""The org tree in and out of Excel (issue 2, item 2)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook, load_workbook

from renkou.orgunits.excel import (
    ORG_COLUMNS,
    ImportRejected,
    code_problem,
    export_orgunits,
    import_orgunits,
)
from renkou.orgunits.models import OrgUnit
from renkou.register.bench import bench_org_tree

pytestmark = pytest.mark.django_db


def write_xlsx(path, rows, header=ORG_COLUMNS):
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for r in rows:
        sheet.append(list(r))
    book.save(path)
    return path


SMALL_TREE = [
    ("341122000000", "来安县", "county", "", "rural"),
    ("341122001000", "新安街道", "street", "341122000000", "urban"),
    ("341122001001", "东城社区", "community", "341122001000", "urban"),
    ("341122100000", "水口镇", "town", "341122000000", "rural"),
    ("341122100201", "石桥村", "village", "341122100000", "rural"),
    ("341122100201001", "一组", "group", "341122100201", "rural"),
]


def test_import_builds_the_tree_with_paths(tmp_path):
    # Children before parents in the file is fine.
    path = write_xlsx(tmp_path / "tree.xlsx", list(reversed(SMALL_TREE)))
    assert import_orgunits(path) == {"created": 6, "updated": 0, "rows": 6}
    group = OrgUnit.objects.get(code="341122100201001")
    assert group.level == 4 and group.parent.code == "341122100201"
    assert group.path == "341122000000/341122100000/341122100201/341122100201001"
    assert OrgUnit.objects.get(code="341122001001").urban_rural == "urban"
    # Importing the same file again changes nothing; a new name is an update.
    assert import_orgunits(path)["created"] == 0
    renamed = [(c, n + "（新）" if c == "341122100201" else n, k, p, u)
               for c, n, k, p, u in SMALL_TREE]
    assert import_orgunits(write_xlsx(tmp_path / "b.xlsx", renamed))["updated"] == 1


def test_export_import_round_trip(tmp_path):
    import_orgunits(write_xlsx(tmp_path / "tree.xlsx", bench_org_tree(towns=3, villages=2)))
    out = tmp_path / "out.xlsx"
    call_command("export", "orgunits", "--out", str(out), "--quiet")
    rows = [tuple("" if c is None else str(c) for c in r)
            for r in load_workbook(out, read_only=True).active.iter_rows(values_only=True)]
    assert rows[0] == ORG_COLUMNS
    assert len(rows) == 1 + OrgUnit.objects.count()
    for level in (3, 2, 1):
        OrgUnit.objects.filter(level=level).delete()
    assert not OrgUnit.objects.exists()
    call_command("import_data", "orgunits", str(out), "--quiet")
    again = tmp_path / "again.xlsx"
    export_orgunits(again)
    rows_again = [tuple("" if c is None else str(c) for c in r)
                  for r in load_workbook(again, read_only=True).active.iter_rows(values_only=True)]
    assert rows_again == rows


def test_bad_rows_reject_the_file(tmp_path):
    bad = SMALL_TREE + [
        ("34112210200", "短码镇", "town", "341122000000", "rural"),            # row 8: 11 digits
        ("341199100000", "他县镇", "town", "341122000000", "rural"),           # row 9: prefix
        ("341122100202", "无父村", "village", "341122109000", "rural"),        # row 10: parent
        ("341122100203", "错级村", "village", "341122000000", "rural"),        # row 11: level
        ("341122100201", "重复村", "village", "341122100000", "rural"),        # row 12: repeated
        ("341122100201002", "二组", "team", "341122100201", "rural"),          # row 13: kind
        ("341122100201003", "", "group", "341122100201", "both"),             # row 14: name, u/r
        ("341122100201", "十二位组", "group", "341122100201", "rural"),         # row 15
    ]
    path = write_xlsx(tmp_path / "bad.xlsx", bad)
    with pytest.raises(ImportRejected) as caught:
        import_orgunits(path)
    found = {(e.row, e.field) for e in caught.value.errors}
    assert {(8, "code"), (9, "code"), (10, "parent_code"), (11, "parent_code"), (12, "code"),
            (13, "kind"), (14, "name"), (14, "urban_rural"), (15, "code")} <= found
    assert all(e.row >= 8 for e in caught.value.errors)
    assert not OrgUnit.objects.exists()

    with pytest.raises(CommandError) as failed:
        call_command("import_data", "orgunits", str(path), "--lang", "en", "--quiet",
                     "--report", str(tmp_path / "report.xlsx"))
    assert failed.value.returncode == 1
    assert (tmp_path / "report.xlsx").exists()
    assert not OrgUnit.objects.exists()


def test_code_rules():
    assert code_problem("341122000000", 1, None) is None
    assert code_problem("341100000000", 1, None)  # a prefecture, not a county
    assert code_problem("341122100000", 2, "341122000000") is None
    assert code_problem("341122100001", 2, "341122000000")
    assert code_problem("341122100201", 3, "341122100000") is None
    assert code_problem("341122101201", 3, "341122100000")
    assert code_problem("341122100201001", 4, "341122100201") is None
    assert code_problem("341122100201000", 4, "341122100201")
    assert code_problem("34112210020100A", 4, "341122100201")


def test_moving_an_existing_unit_is_refused(tmp_path):
    import_orgunits(write_xlsx(tmp_path / "tree.xlsx", SMALL_TREE))
    moved = [("341122100201", "石桥村", "community", "341122100000", "rural")]
    with pytest.raises(ImportRejected) as caught:
        import_orgunits(write_xlsx(tmp_path / "moved.xlsx", moved))
    assert [(e.row, e.field) for e in caught.value.errors] == [(2, "code")]
