"""The register's import from a file in the browser (人员信息导入): the person file the
CLI's ``renkou import persons`` reads, with its template (see
:mod:`renkou.core.file_imports` for the pages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.accounts.permissions import Capability
from renkou.core.file_imports import Checked, FileImport, Imported
from renkou.orgunits.models import OrgUnit

from .file_columns import PERSON_FILE_COLUMNS
from .importing import import_persons, validate_persons
from .person_template import write_person_template

__all__ = ["PERSONS", "FILE_IMPORTS"]


def _check(path: Path, user, options: dict[str, Any]) -> Checked:
    plan = validate_persons(path, user=user)
    if plan.spellings is not None:
        plan.spellings.cancel()
    return Checked(len(plan.rows), plan.errors, plan.errors.total)


def _run(path: Path, user, options: dict[str, Any]) -> Imported:
    summary = import_persons(path, user=user)
    return Imported(_("Imported %(persons)s persons from %(file)s, with %(households)s new "
                      "households.") % {"persons": summary.persons, "file": Path(path).name,
                                        "households": summary.households},
                    reverse("register:home"))


def _template(path: str, user, variant: str = "") -> None:
    write_person_template(path, units=list(OrgUnit.objects.visible_to(user).order_by("path")))


PERSONS = FileImport(
    kind="persons",
    title=gettext_lazy("Import persons from a file"),
    capability=Capability.EDIT_REGISTER,
    url_name="register:import",
    check=_check,
    run=_run,
    columns=tuple(PERSON_FILE_COLUMNS),
    explanation=gettext_lazy(
        "Fill in the template in Excel or WPS (or use your own list: the columns may be in "
        "Chinese or in the machine form), save it, and upload it here."),
    template=_template,
    template_name="人员信息导入模板.xlsx",
)

FILE_IMPORTS = (PERSONS,)
