"""The benefits app's import from a file in the browser: a list of walk-in applications
(:mod:`renkou.benefits.walk_in_lists`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.core.file_imports import Checked, FileImport, Imported
from renkou.core.tables import ImportRejected
from renkou.core.template_workbook import TemplateColumn, write_template

from .permissions import MANAGE_BENEFITS
from .programmes import programmes
from .walk_in_lists import WALK_IN_COLUMNS, open_walk_in_list

__all__ = ["WALK_INS", "FILE_IMPORTS"]


def _check(path: Path, user, options: dict[str, Any]) -> Checked:
    try:
        result = open_walk_in_list(path, user, keep=False)
    except ImportRejected as rejected:
        return Checked(rejected.rows, rejected.errors, rejected.total)
    return Checked(result.rows, [], 0)


def _run(path: Path, user, options: dict[str, Any]) -> Imported:
    result = open_walk_in_list(path, user)
    return Imported(_("%(n)s walk-in applications opened; each waits for its next step.")
                    % {"n": len(result.opened)}, reverse("benefits:applications"))


def _template(path: str, user, variant: str = "") -> None:
    names = [p.name for p in programmes().values()]
    write_template(path, sheet_title="来访申请", columns=[
        TemplateColumn("公民身份号码", required=True, text=True),
        TemplateColumn("姓名", required=True),
        TemplateColumn("项目", required=True, choices=names),
        TemplateColumn("年度", required=True, text=True),
        TemplateColumn("标准", example="default"),
        TemplateColumn("子女情况"),
        TemplateColumn("残疾等级", choices=["1", "2", "3"]),
        TemplateColumn("备注"),
    ], notes=(
        "来访申请名单：每行一份申请，与在页面上逐份登记相同，由本人申请、经办人核实后填写。",
        "公民身份号码和姓名须与信息库一致，且在您的管辖范围内。",
        "项目从下拉列表选择；年度写 4 位数字。",
        "信息库无法知道的情况（如子女情况、残疾等级）由经办人核实后填写，作为经办人的证明记录。",
        "全部检查通过才登记；有任何一行不合格，整个名单都不登记，并返回标出错误单元格的文件。",
    ))


WALK_INS = FileImport(
    kind="walk_ins",
    title=gettext_lazy("Walk-in applications from a list"),
    capability=MANAGE_BENEFITS,
    url_name="benefits:walk_in_import",
    check=_check,
    run=_run,
    columns=WALK_IN_COLUMNS,
    explanation=gettext_lazy("Applications collected on paper, entered as one spreadsheet: "
                             "each row is opened as the walk-in form opens one."),
    template=_template,
    template_name="来访申请名单模板.xlsx",
    back_url="benefits:applications",
)

FILE_IMPORTS = (WALK_INS,)
