"""The org tree's import from a file in the browser (区划导入): the file ``renkou import
orgunits`` reads, in Chinese or machine columns, for a county officer's own subtree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.core.file_imports import Checked, FileImport, Imported
from renkou.core.template_workbook import TemplateColumn, write_template

from .excel import ORG_FILE_COLUMNS, import_orgunits, validate_orgunits
from .models import OrgKind, OrgUnit, UrbanRural

__all__ = ["ORGUNITS", "FILE_IMPORTS", "MANAGE_ORGUNITS"]

#: add units to one's subtree and rename them (declared in apps.py)
MANAGE_ORGUNITS = "manage_orgunits"


def _check(path: Path, user, options: dict[str, Any]) -> Checked:
    rows, errors = validate_orgunits(path, user=user)
    return Checked(len(rows), errors, getattr(errors, "total", len(errors)))


def _run(path: Path, user, options: dict[str, Any]) -> Imported:
    counts = import_orgunits(path, user=user)
    return Imported(_("%(created)s units added and %(updated)s renamed.") % counts,
                    reverse("orgunits:tree"))


def _template(path: str, user, variant: str = "") -> None:
    with translation.override("zh-hans"):
        kinds = [str(label) for _v, label in OrgKind.choices]
        classes = [str(label) for _v, label in UrbanRural.choices]
    units = OrgUnit.objects.visible_to(user).order_by("path")
    parent = units.exclude(kind__in=("village", "community", "group")).last()
    write_template(path, sheet_title="区划", columns=[
        TemplateColumn("区划代码", required=True, text=True),
        TemplateColumn("名称", required=True),
        TemplateColumn("类型", required=True, choices=kinds, example=kinds[-3] if kinds else ""),
        TemplateColumn("上级区划代码", required=True, text=True,
                       example=parent.code if parent else ""),
        TemplateColumn("城乡分类", required=True, choices=classes),
    ], references={"现有单位": [["区划代码", "名称", "类型"], *(
        [u.code, u.name, u.get_kind_display()] for u in units)]}, notes=(
        "区划导入模板：每行一个单位，第一行是列名。",
        "区划代码为 12 位统计用区划代码：村（居）委会为所属乡镇（街道）前 9 位加 3 位；村民小组为 15 位。",
        "上级区划代码须是已有单位（见“现有单位”表）或本表中的单位，且在您的管辖范围内。",
        "已有的单位（代码相同）只更新名称和城乡分类，不能改变类型或上级。",
        "全部检查通过才导入；有任何问题，整个文件都不导入，并返回标出错误单元格的文件。",
    ))


ORGUNITS = FileImport(
    kind="orgunits",
    title=gettext_lazy("Import org units from a file"),
    capability=MANAGE_ORGUNITS,
    url_name="orgunits:import",
    check=_check,
    run=_run,
    columns=ORG_FILE_COLUMNS,
    explanation=gettext_lazy("Add townships, villages or groups under the units you manage, "
                             "or correct their names, from a spreadsheet."),
    template=_template,
    template_name="区划导入模板.xlsx",
    back_url="orgunits:tree",
)

FILE_IMPORTS = (ORGUNITS,)
