"""Services of reconciliation: what the pages, the API and the commands call.

- survey reconciliation (抽样调查/入户核查) on the households visited:
  :mod:`renkou.reconciliation.survey`;
- department lists (部门比对): :mod:`renkou.reconciliation.departments`;
- cross-checks (协查): :mod:`renkou.reconciliation.crosschecks`;
- the discrepancy worklist (this module): scoped lists, working an item, Excel export;
- :func:`survey_accuracy_by_org`, the provider the data-quality scorecard reads.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _

from renkou.accounts.permissions import Capability, has_capability
from renkou.core import audit, clock
from renkou.core.models import AuditAction
from renkou.core.tables import TableWriter
from renkou.orgunits.models import OrgUnit

from .common import subtree_q
from .crosschecks import create_crosscheck, feedback_rates, record_feedback
from .departments import import_list, list_counts
from .models import (
    CrossCheck,
    DepartmentList,
    Discrepancy,
    Survey,
    SurveyEntry,
    SurveyVillage,
    WorkStatus,
)
from .survey import extrapolate, import_survey, survey_frame_source, survey_rates

__all__ = [
    "import_survey",
    "survey_rates",
    "survey_frame_source",
    "extrapolate",
    "import_list",
    "list_counts",
    "feedback_rates",
    "record_feedback",
    "create_crosscheck",
    "visible_surveys",
    "visible_lists",
    "visible_crosschecks",
    "worklist",
    "work_item",
    "export_worklist",
    "WORKLIST_COLUMNS",
    "survey_accuracy_by_org",
]


def survey_accuracy_by_org() -> dict[int, tuple[int, int]]:
    """Accuracy (准确率) inputs per sampled village from that village's latest survey:
    ``org unit id -> (register entries confirmed, register entries checked)``.

    The latest survey of a village is the one with the latest survey date (then the
    latest imported). Two GROUP BYs, no loop over units in the database.
    """
    latest: dict[int, tuple] = {}
    for village_id, survey_id, day in SurveyVillage.objects.values_list(
            "village_id", "survey_id", "survey__survey_date"):
        key = (day, survey_id)
        if village_id not in latest or key > latest[village_id]:
            latest[village_id] = key
    wanted = {(v, k[1]) for v, k in latest.items()}
    result = {v: (0, 0) for v in latest}
    rows = SurveyEntry.objects.filter(survey_id__in={s for _v, s in wanted}).values(
        "survey_id", "village_id").annotate(
        checked=Count("id"), confirmed=Count("id", filter=Q(confirmed=True)))
    for row in rows:
        if (row["village_id"], row["survey_id"]) in wanted:
            result[row["village_id"]] = (row["confirmed"], row["checked"])
    return result


# --------------------------------------------------------------------------- scoping


def visible_surveys(user) -> QuerySet[Survey]:
    """Surveys with at least one sampled village in the user's subtree."""
    if not has_capability(user, Capability.VIEW_REGISTER):
        return Survey.objects.none()
    units = OrgUnit.objects.visible_to(user)
    return Survey.objects.filter(sampled__village__in=units).distinct().annotate(
        n_villages=Count("sampled", distinct=True))


def visible_lists(user) -> QuerySet[DepartmentList]:
    """Department lists compared within the user's subtree or above it (a county list
    concerns every village; a clerk sees its own unit's rows of it)."""
    if not has_capability(user, Capability.VIEW_REGISTER):
        return DepartmentList.objects.none()
    qs = DepartmentList.objects.all()
    if user.is_superuser:
        return qs
    org = getattr(user, "org", None)
    if org is None:
        return qs.none()
    above = org.path.split("/")
    return qs.filter(Q(scope__isnull=True) | Q(scope__code__in=above) | subtree_q(org, "scope__"))


def visible_crosschecks(user) -> QuerySet[CrossCheck]:
    return CrossCheck.objects.visible_to(user).select_related("org", "record")


# --------------------------------------------------------------------------- worklist

WORKLIST_COLUMNS = (
    "item_id", "org_code", "org_name", "kind", "person_id", "name", "sex", "birth_date",
    "id_number", "household_no", "field", "register_value", "found_value", "status", "comment",
)


def worklist(user, *, survey: Survey | None = None, dept_list: DepartmentList | None = None,
             org: OrgUnit | None = None, status: str = "", kind: str = "") -> QuerySet:
    """The discrepancy items the user may see (its subtree), filtered."""
    qs = Discrepancy.objects.visible_to(user).select_related(
        "org", "person", "member", "record", "event")
    if survey is not None:
        qs = qs.filter(survey=survey)
    if dept_list is not None:
        qs = qs.filter(dept_list=dept_list)
    if org is not None:
        qs = qs.filter(subtree_q(org, "org__"))
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("org__code", "kind", "id")


def work_item(item: Discrepancy, *, status: str, comment: str, user) -> Discrepancy:
    """A clerk records what she found: the status and a comment (logged)."""
    if not has_capability(user, Capability.EDIT_REGISTER):
        raise PermissionDenied(_("this role may not change the register"))
    if status not in WorkStatus.values:
        raise ValidationError({"status": _("unknown status")})
    item.status = status
    item.comment = (comment or "").strip()[:300]
    item.updated_by = user
    item.updated_at = clock.now()
    item.save(update_fields=["status", "comment", "updated_by", "updated_at"])
    audit.record(AuditAction.DECIDE, "discrepancy", item.pk,
                 details={"status": status}, user=user)
    return item


def item_subject(item: Discrepancy) -> dict:
    """Name, sex, birth date, ID number and household of the item's person (the register's
    side when there is one, else what was found or listed)."""
    if item.person is not None:
        p = item.person
        return {"name": p.name, "sex": p.sex, "birth_date": p.birth_date,
                "id_number": p.id_number or "", "household_no": ""}
    if item.member is not None:
        m = item.member
        return {"name": m.name, "sex": m.sex, "birth_date": m.birth_date,
                "id_number": m.id_number, "household_no": m.household_no}
    if item.record is not None:
        r = item.record
        return {"name": r.name, "sex": r.sex, "birth_date": r.birth_date,
                "id_number": r.id_number or r.other_id_number, "household_no": ""}
    return {"name": "", "sex": "", "birth_date": None, "id_number": "", "household_no": ""}


def export_worklist(out: str | Path, user, **filters) -> int:
    """Write the user's worklist (with the filters of :func:`worklist`) to .xlsx or .csv,
    full ID numbers included; the export is logged with its filter and row count."""
    if not has_capability(user, Capability.EXPORT_REGISTER):
        raise PermissionDenied(_("this role may not export person records"))
    items = worklist(user, **filters)
    n = 0
    with TableWriter(out, WORKLIST_COLUMNS, "worklist") as writer:
        for item in items.iterator(chunk_size=2000):
            s = item_subject(item)
            writer.writerow((
                item.pk, item.org.code, item.org.name, item.get_kind_display(),
                item.person_id or "", s["name"], s["sex"],
                s["birth_date"].isoformat() if s["birth_date"] else "", s["id_number"],
                s["household_no"], item.field, item.register_value, item.found_value,
                item.get_status_display(), item.comment))
            n += 1
    audit.record(AuditAction.EXPORT, "discrepancies", details={
        "filter": {k: (v.pk if hasattr(v, "pk") else v) for k, v in filters.items() if v},
        "rows": n, "file": Path(out).name}, user=user)
    return n


def latest_survey_date() -> object:
    return Survey.objects.aggregate(d=Max("survey_date"))["d"]
