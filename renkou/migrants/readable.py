"""An exchange message's payload as the pages show it: one row per field, labelled in the
interface language (人员 · 姓名, 户籍地, 到达日期 …), coded values named (男, 务工经商, 是)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.register.models import Sex

from .models import MoveReason

__all__ = ["FIELD_LABELS", "SUBJECT_LABELS", "payload_rows", "subject_label"]

#: The payload's field names (:mod:`renkou.migrants.envelope`) and their labels.
FIELD_LABELS: dict[str, Any] = {
    "person": gettext_lazy("person"),
    "child": gettext_lazy("child"),
    "mother": gettext_lazy("mother"),
    "father": gettext_lazy("father"),
    "id_number": gettext_lazy("ID number"),
    "name": gettext_lazy("name"),
    "sex": gettext_lazy("sex"),
    "birth_date": gettext_lazy("birth date"),
    "hukou_code": gettext_lazy("hukou place (division code)"),
    "residence": gettext_lazy("residence"),
    "code": gettext_lazy("division code"),
    "address": gettext_lazy("address"),
    "arrival_date": gettext_lazy("arrival date"),
    "departure_date": gettext_lazy("departure date"),
    "destination": gettext_lazy("destination"),
    "reason": gettext_lazy("reason"),
    "birth_place": gettext_lazy("place of birth"),
    "death_date": gettext_lazy("death date"),
    "death_place": gettext_lazy("place of death"),
    "subject": gettext_lazy("subject of the verification"),
    "question": gettext_lazy("question"),
    "found": gettext_lazy("found in the register"),
    "result": gettext_lazy("result of the verification"),
    "alive": gettext_lazy("alive"),
    "as_of": gettext_lazy("as of"),
    "household_no": gettext_lazy("household number"),
    "services": gettext_lazy("services"),
    "note": gettext_lazy("note"),
    "changes": gettext_lazy("changes"),
    "old": gettext_lazy("old value"),
    "new": gettext_lazy("new value"),
}

#: What a verification request (协查) asks about.
SUBJECT_LABELS: dict[str, Any] = {
    "identity": gettext_lazy("identity"),
    "residence": gettext_lazy("residence"),
    "household": gettext_lazy("household facts"),
    "life": gettext_lazy("life (alive, for a benefit's requalification)"),
}


def subject_label(subject: str) -> str:
    return str(SUBJECT_LABELS.get(subject, subject))


def _value(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key == "sex" and value in Sex.values:
        return str(Sex(value).label)
    if key == "reason" and value in MoveReason.values:
        return str(MoveReason(value).label)
    if key == "subject":
        return subject_label(value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def payload_rows(payload: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """``(label, value)`` for every field of ``payload``, nested fields labelled with
    their parents' labels (人员 · 姓名), in the payload's order."""
    rows: list[tuple[str, str]] = []
    if not isinstance(payload, dict):
        return [(" · ".join(prefix), _value("", payload))] if prefix else []
    for key, value in payload.items():
        label = (*prefix, str(FIELD_LABELS.get(key, key)))
        if isinstance(value, dict) and value:
            rows += payload_rows(value, label)
        else:
            rows.append((" · ".join(label), _value(key, value)))
    return rows
