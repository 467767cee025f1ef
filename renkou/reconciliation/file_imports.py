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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.accounts.permissions import Capability
from renkou.core import clock
from renkou.core.columns import columns_from_aliases
from renkou.core.file_imports import Checked, FileImport, Imported
from renkou.core.tables import RowError

from . import departments, survey
from .forms import DATE
from .models import Source

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
    return Checked(len(plan.rows), plan.errors, plan.errors.total)


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
    back_url="reconciliation:index",
)

FILE_IMPORTS = (SURVEYS, DEPARTMENT_LISTS)
