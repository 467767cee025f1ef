"""The quality app's import from a file in the browser: an office's own validation
rules (本单位校验规则), a YAML file in the format of ``rules.yaml``, each rule tried on
the register before anything is stored (:mod:`renkou.quality.office_rules`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.accounts.permissions import Capability
from renkou.core.file_imports import Checked, FileImport, Imported
from renkou.core.tables import ImportRejected, RowError

from .office_rules import check_rules_file, install_office_rules
from .rules import RuleError

__all__ = ["OFFICE_RULES", "FILE_IMPORTS"]

EXAMPLE = """\
# 本单位校验规则（示例）。格式与内置规则 rules.yaml 相同；每条规则上传后先在信息库上试运行。
rules:
  - code: OFFICE_LATE_BIRTH_ENTRY
    name: {zh: 出生登记超过90天, en: Birth entered more than 90 days late}
    message:
      zh: "出生后超过90天才登记（迟报 {delay_days} 天），请核实"
      en: "Birth entered {delay_days} days after the event"
    importance: low
    scope: event
    applies: event_type = 'birth'
    check: delay_days <= 90
    details: [delay_days]
"""


def _refused(exc: Exception) -> ImportRejected:
    return ImportRejected([RowError(0, "", str(exc))])


def _check(path: Path, user, options: dict[str, Any]) -> Checked:
    try:
        rules = check_rules_file(path)
    except (RuleError, PermissionDenied, UnicodeDecodeError) as exc:
        raise _refused(exc) from None
    return Checked(len(rules), [], 0)


def _run(path: Path, user, options: dict[str, Any]) -> Imported:
    try:
        codes = install_office_rules(path, user=user)
    except (RuleError, UnicodeDecodeError) as exc:
        raise _refused(exc) from None
    return Imported(_("%(n)s office rules stored: %(codes)s; they run from the next check.")
                    % {"n": len(codes), "codes": ", ".join(codes)}, reverse("quality:rules"))


def _template(path: str, user, variant: str = "") -> None:
    Path(path).write_text(EXAMPLE, encoding="utf-8")


OFFICE_RULES = FileImport(
    kind="office_rules",
    title=gettext_lazy("Add office rules from a file"),
    capability=Capability.EDIT_REGISTER,
    url_name="quality:rules_import",
    check=_check,
    run=_run,
    explanation=gettext_lazy("A YAML file in the format of the built-in rules; every rule is "
                             "tried on the register first, and nothing is stored unless all "
                             "of them run."),
    template=_template,
    template_name="office-rules-example.yaml",
    suffixes=(".yaml", ".yml"),
    tabular=False,
    back_url="quality:rules",
)

FILE_IMPORTS = (OFFICE_RULES,)
