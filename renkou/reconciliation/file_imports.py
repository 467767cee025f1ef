"""Reconciliation's imports from a file in the browser: a field-check survey with its
frame of visited households (抽样调查/入户核查), and a department list (部门信息:
birth certificates, police registrations, civil-affairs deaths and marriages). The
files are the CLI's (``renkou reconciliation import-survey`` / ``import-list``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.accounts.permissions import Capability
from renkou.core import clock
from renkou.core.columns import columns_from_aliases
from renkou.core.file_imports import Checked, FileImport, Imported
from renkou.core.tables import RowError
from renkou.core.template_workbook import TemplateColumn, write_template
from renkou.orgunits.models import OrgLevel, OrgUnit
from renkou.register.models import Sex

from . import departments, survey
from .forms import DATE
from .models import FrameSource, Source

__all__ = ["SURVEYS", "DEPARTMENT_LISTS", "FILE_IMPORTS"]

class SurveySettingsForm(forms.Form):
    """What a survey file does not say: its name, date and reference period."""

    name = forms.CharField(label=gettext_lazy("name of the survey"), max_length=100)
    survey_date = forms.DateField(label=gettext_lazy("survey date"), widget=DATE)
    reference_start = forms.DateField(
        label=gettext_lazy("start of the reference period"), required=False, widget=DATE,
        help_text=gettext_lazy("births from this date up to the survey date count; "
                               "default one year"))

    def clean_survey_date(self) -> dt.date:
        day = self.cleaned_data["survey_date"]
        if day > clock.today():
            raise ValidationError(_("the survey date is in the future"))
        return day


class ListSettingsForm(forms.Form):
    """Which department a list comes from, and the period it covers."""

    source = forms.ChoiceField(label=gettext_lazy("source"), choices=Source.choices)
    period_start = forms.DateField(label=gettext_lazy("period from"), required=False, widget=DATE)
    period_end = forms.DateField(label=gettext_lazy("period to"), required=False, widget=DATE)


def _check_survey(path: Path, user, options: dict[str, Any]) -> Checked:
    plan = survey.validate_survey(path, survey_date=options["survey_date"], user=user)
    start = options.get("reference_start")
    if start is not None and start > options["survey_date"]:
        plan.errors.insert(0, RowError(0, "reference_start",
                                       _("the reference period starts after the survey date")))
    visited = sum(len(households) for households in plan.frame.values())
    how = FrameSource(plan.frame_source).label
    if plan.frame_file:
        how = f"{how} ({plan.frame_file})"
    note = _("Households visited: %(n)s, %(how)s. Only the register entries resident in them "
             "on the survey date are compared.") % {"n": visited, "how": how}
    return Checked(len(plan.rows), plan.errors, plan.errors.total, note)


def _survey_template(path: str, user, variant: str = "") -> None:
    villages = OrgUnit.objects.visible_to(user).filter(level=OrgLevel.VILLAGE).order_by("path")
    village = villages.first()
    code = village.code if village else ""
    with translation.override("zh-hans"):
        sexes = [str(label) for _v, label in Sex.choices]
    write_template(path, sheet_title="入户核查", columns=[
        TemplateColumn("村代码", required=True, text=True, example=code),
        TemplateColumn("户号", required=True, text=True, example="0010001"),
        TemplateColumn("姓名", required=True, example="张三"),
        TemplateColumn("性别", required=True, choices=sexes, example=sexes[0] if sexes else ""),
        TemplateColumn("出生日期", required=True, example="1990-03-07"),
        TemplateColumn("公民身份号码", text=True),
        TemplateColumn("与户主关系"),
        TemplateColumn("备注"),
    ], references={
        "走访户": [["村代码", "户号"], [code, "0010001"]],
        "村代码": [["区划代码", "名称"], *([v.code, v.name] for v in villages)],
    }, notes=(
        "入户核查表：每行一名在走访户中实地找到的人。",
        "“走访户”表列出实际走访的全部户（包括一个人也没找到的户）；不填则以本表中出现的户为走访户。",
        "只有走访户中的在册人员与实地情况比对，准确率、水分率、漏报率都只按这些户计算。",
        "出生日期写成 1990-03-07；村代码见“村代码”表，须在您的管辖范围内。",
        "全部检查通过才导入；有任何问题，整个文件都不导入，并返回标出错误单元格的文件。",
    ))


def _list_template(path: str, user, variant: str = "") -> None:
    source = variant if variant in departments.COLUMNS else Source.POLICE
    required, optional = departments.COLUMNS[source]
    chinese = {c.name: c.chinese for c in DEPARTMENT_LISTS.columns}
    kinds = sorted(k for k in departments.EVENT_TYPES.get(source, {}) if not k.isascii())
    write_template(path, sheet_title=str(Source(source).label)[:30], columns=[
        TemplateColumn(chinese.get(c, c), required=c in required,
                       text=c.endswith(("id_number", "_no", "org_code")),
                       choices=kinds if c == "event_type" else ())
        for c in required + optional], notes=(
        "部门名单：每行一条部门记录，第一行是列名（可用中文或机器列名）。",
        "日期写成 2024-03-01；身份证号、证明编号、区划代码按文本填写。",
        "名单与信息库双向比对：名单有而库中无、库中有而名单无，都列入待核实清单。",
        "全部检查通过才导入；有任何问题，整个文件都不导入，并返回标出错误单元格的文件。",
    ))


def _run_survey(path: Path, user, options: dict[str, Any]) -> Imported:
    done = survey.import_survey(path, name=options["name"], survey_date=options["survey_date"],
                                reference_start=options.get("reference_start"), user=user)
    return Imported(_("The survey was imported and matched to the register."),
                    reverse("reconciliation:survey", args=[done.pk]))


def _check_list(path: Path, user, options: dict[str, Any]) -> Checked:
    plan = departments.validate_list(path, options["source"])
    return Checked(len(plan.records), plan.errors, plan.errors.total)


def _run_list(path: Path, user, options: dict[str, Any]) -> Imported:
    done = departments.import_list(path, options["source"], user=user,
                                   period_start=options.get("period_start"),
                                   period_end=options.get("period_end"))
    return Imported(_("The list was imported and compared with the register."),
                    reverse("reconciliation:list", args=[done.pk]))


SURVEYS = FileImport(
    kind="survey",
    title=gettext_lazy("Import a field-check survey"),
    capability=Capability.EDIT_REGISTER,
    url_name="reconciliation:survey_upload",
    check=_check_survey,
    run=_run_survey,
    columns=columns_from_aliases(survey.SURVEY_COLUMNS, survey.HEADER_ALIASES),
    explanation=gettext_lazy(
        "One row per person found on the ground: village code, household number, name, sex, "
        "birth date, and if known the ID number, relationship and remarks. The households "
        "visited are those of the file, or those listed on a sheet named 走访户 (village "
        "code and household number); only they are compared with the register."),
    options_form=SurveySettingsForm,
    template=_survey_template,
    template_name="入户核查模板.xlsx",
    back_url="reconciliation:index",
)

DEPARTMENT_LISTS = FileImport(
    kind="department_list",
    title=gettext_lazy("Import a department list"),
    capability=Capability.EDIT_REGISTER,
    url_name="reconciliation:list_upload",
    check=_check_list,
    run=_run_list,
    columns=columns_from_aliases(
        dict.fromkeys(c for required, optional in departments.COLUMNS.values()
                      for c in required + optional),
        departments.HEADER_ALIASES),
    explanation=gettext_lazy(
        "A list from the hospital (birth certificates), the police (registrations and "
        "cancellations) or civil affairs (deaths and marriages), with Chinese or machine "
        "column names; it is compared with the register both ways."),
    options_form=ListSettingsForm,
    template=_list_template,
    template_name="部门名单模板.xlsx",
    template_variants=tuple((str(value), label) for value, label in Source.choices),
    back_url="reconciliation:index",
)

FILE_IMPORTS = (SURVEYS, DEPARTMENT_LISTS)
