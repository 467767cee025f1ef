"""The migrant application's imports from a file in the browser: a list of arrivals
(流入登记名单) and a list of departures (流出登记名单), through
:func:`renkou.migrants.importing.import_migrants` — the checks the CLI runs."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy

from renkou.core.file_imports import Checked, FileImport, Imported
from renkou.core.tables import ImportRejected
from renkou.core.template_workbook import TemplateColumn, write_template
from renkou.orgunits.models import OrgLevel, OrgUnit

from .importing import MIGRANT_COLUMNS, import_migrants
from .models import Direction
from .permissions import REGISTER_MIGRANTS

__all__ = ["ARRIVALS", "DEPARTURES", "FILE_IMPORTS"]

REASONS = ["务工经商", "学习培训", "随迁家属", "其他"]


def _check(direction: str, path: Path, user, options: dict[str, Any]) -> Checked:
    try:
        result = import_migrants(path, direction=direction, user=user, keep=False)
    except ImportRejected as rejected:
        return Checked(rejected.rows, rejected.errors, rejected.total)
    return Checked(result.rows, [], 0)


def _run(direction: str, path: Path, user, options: dict[str, Any]) -> Imported:
    result = import_migrants(path, direction=direction, user=user)
    return Imported(result.summary, reverse("migrants:index"))


def _units(user) -> list[list[Any]]:
    units = OrgUnit.objects.visible_to(user).filter(level=OrgLevel.VILLAGE).order_by("code")
    return [["居住地代码", "名称"], *([u.code, u.name] for u in units)]


def _template(direction: str, path: str, user, variant: str = "") -> None:
    person = [TemplateColumn("公民身份号码", required=True, text=True)]
    if direction == Direction.INFLOW:
        columns = [*person, TemplateColumn("姓名", required=True),
                   TemplateColumn("性别", choices=["男", "女"]),
                   TemplateColumn("出生日期", example="1996-04-02"),
                   TemplateColumn("户籍地代码", required=True, text=True, example="341322"),
                   TemplateColumn("居住地代码", required=True, text=True),
                   TemplateColumn("到达日期", required=True, example="2026-10-12"),
                   TemplateColumn("流动原因", choices=REASONS), TemplateColumn("联系电话", text=True)]
        notes: tuple[str, ...] = ("流入人口登记名单：每行一人，与在页面上逐人登记相同。",
                 "户籍地代码写户籍所在县（6 位）或乡、村（9 或 12 位）的统计用区划代码；"
                 "户籍在本县的人员请在信息库登记迁移。",
                 "居住地代码从“单位代码”表中选择本人居住的村（社区）。",
                 "信息库中没有的人员须填写姓名、性别、出生日期，登记时建档。",
                 "全部检查通过才登记；有任何一行不合格，整个名单都不登记，并返回标出错误单元格的文件。")
        references = {"单位代码": _units(user)}
    else:
        columns = [*person, TemplateColumn("姓名"),
                   TemplateColumn("离开日期", required=True, example="2026-10-08"),
                   TemplateColumn("居住地代码", text=True, example="320505"),
                   TemplateColumn("居住地址", example="江苏省苏州市高新区"),
                   TemplateColumn("流动原因", choices=REASONS), TemplateColumn("联系电话", text=True)]
        notes = ("流出人口登记名单：每行一人，须是您管辖范围内信息库中的人员。",
                 "居住地代码写流入地的统计用区划代码（6、9 或 12 位），不知道时只写居住地址。",
                 "户籍在本地的人员仍保留在信息库中，标为“外出居住”；流入人员离开本地则办理迁出。",
                 "全部检查通过才登记；有任何一行不合格，整个名单都不登记，并返回标出错误单元格的文件。")
        references = {}
    write_template(path, sheet_title="流入登记" if direction == Direction.INFLOW else "流出登记",
                   columns=columns, notes=notes, references=references)


def _spec(direction: str, kind: str, title, explanation, template_name: str) -> FileImport:
    return FileImport(
        kind=kind, title=title, capability=REGISTER_MIGRANTS,
        url_name=f"migrants:{kind}_import",
        check=partial(_check, direction), run=partial(_run, direction),
        columns=MIGRANT_COLUMNS, explanation=explanation,
        template=partial(_template, direction), template_name=template_name,
        back_url="migrants:index")


ARRIVALS = _spec(Direction.INFLOW, "migrant_arrivals", gettext_lazy("Arrivals from a list"),
                 gettext_lazy("Inflow migrants registered on paper, entered as one spreadsheet: "
                              "each row is registered as the arrival form registers one."),
                 "流入人口登记名单模板.xlsx")
DEPARTURES = _spec(Direction.OUTFLOW, "migrant_departures", gettext_lazy("Departures from a list"),
                   gettext_lazy("Residents who left to live elsewhere, entered as one spreadsheet: "
                                "each row is registered as the departure form registers one."),
                   "流出人口登记名单模板.xlsx")

FILE_IMPORTS = (ARRIVALS, DEPARTURES)
