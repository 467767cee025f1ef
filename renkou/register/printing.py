"""The register's printed forms: the household card (户卡) and the person card (人员信息卡,
the record with its effective ledger history), as pages to print and as PDF files in
the form layout of :mod:`renkou.core.pdf`.

Both show full ID numbers, so every card is logged: a page as a view of the household
and of each person on it, a PDF as an export of each.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from renkou.core import audit, clock, pdf
from renkou.core.models import AuditAction
from renkou.orgunits.models import OrgUnit

from .history import HistoryEntry, effective_history
from .models import Household, Person
from .vocabulary import NOT_PERSONS

__all__ = ["unit_path", "card_members", "log_household_card_view", "write_household_card_pdf",
           "PersonCard", "person_card", "log_person_card_view", "write_person_card_pdf"]


def unit_path(org: OrgUnit) -> str:
    """"东城县 › 和平镇 › 东村": the unit under its ancestors."""
    return " › ".join(u.name for u in [*org.ancestors(), org])


def _dash(value: Any) -> str:
    return "—" if value in (None, "") else str(value)


def _date(value: Any) -> str:
    return value.isoformat() if value else "—"


# --------------------------------------------------------------------------- 户卡


def card_members(household: Household) -> list[Person]:
    """The household's members as they stand (no merged or voided record), in the order
    they were entered."""
    return list(household.members.exclude(status__in=NOT_PERSONS)
                .select_related("registered_org").order_by("pk"))


def log_household_card_view(household: Household, members: list[Person]) -> None:
    audit.record(AuditAction.VIEW, "household", household.pk, details={"card": True})
    for person in members:
        audit.record(AuditAction.VIEW, "person", person.pk, details={"part": "household card"})


_MEMBER_WEIGHTS = (0.7, 1.4, 1.2, 0.6, 1.6, 1.0, 2.8, 1.4, 1.1, 1.1)


def _member_headers() -> list[str]:
    return [_("No."), _("Name"), _("Relationship to head"), _("Sex"), _("Birth date"),
            _("Ethnicity"), _("ID number"), _("Hukou type"), _("Marital status"), _("Status")]


def write_household_card_pdf(household: Household, out: IO[bytes] | str | Path, *, user) -> int:
    """户卡 as a PDF (A4, the members with their full ID numbers, signature lines);
    logged as an export of the household and of each member. Returns the members."""
    members = card_members(household)
    unit = unit_path(household.org)

    def body(st: pdf.Styles, width: float) -> list[Any]:
        from reportlab.platypus import Spacer

        head = pdf.fields(st, [
            (_("Unit"), f"{unit}  {household.org.code}"),
            (_("Household number"), household.household_no),
            (_("Address"), household.address),
            (_("Household head"), household.head.name if household.head else ""),
        ], width=width)
        rows = [[n, p.name, _dash(p.get_relationship_display()), p.get_sex_display(),
                 _date(p.birth_date), p.get_ethnicity_display(), _dash(p.id_number),
                 _dash(p.get_hukou_type_display()), p.get_marital_status_display(),
                 p.get_status_display()] for n, p in enumerate(members, start=1)]
        table = pdf.grid(st, _member_headers(), rows or [[_("No members.")] + [""] * 9],
                         width=width, weights=_MEMBER_WEIGHTS)
        return [head, Spacer(1, 10), table, Spacer(1, 6),
                pdf.paragraph(_("As registered on %(d)s.") % {"d": clock.today().isoformat()},
                              st.small)]

    pdf.write_form(out, title=_("Household card"), body=body,
                   lines=[f"{_('Household number')}：{household.household_no}"],
                   signatures=[_("Household head (signature)"), _("Registered by"), _("Date")],
                   unit=unit, printed=pdf.printed_by(user))
    audit.record(AuditAction.EXPORT, "household", household.pk, details={
        "what": "household card", "format": "pdf", "rows": len(members)})
    for person in members:
        audit.record(AuditAction.EXPORT, "person", person.pk,
                     details={"part": "household card", "format": "pdf"})
    return len(members)


# --------------------------------------------------------------------------- 人员信息卡


@dataclass(frozen=True)
class PersonCard:
    """What a person card shows: the record, its unit and its effective history. A
    parent registered outside the user's units is not named (``shown_parents``)."""

    person: Person
    unit: str
    history: list[HistoryEntry]
    shown_parents: frozenset[int] = frozenset()

    def _parent(self, parent: Person | None) -> str:
        if parent is None:
            return "—"
        return parent.name if parent.pk in self.shown_parents else \
            _("registered outside your units")

    def fields(self) -> list[tuple[str, str]]:
        p = self.person
        household = p.household
        return [
            (_("Name"), p.name), (_("person number"), str(p.pk)),
            (_("Sex"), p.get_sex_display()), (_("Birth date"), _date(p.birth_date)),
            (_("ID number"), _dash(p.id_number)), (_("Ethnicity"), p.get_ethnicity_display()),
            (_("Hukou type"), _dash(p.get_hukou_type_display())),
            (_("Marital status"), p.get_marital_status_display()),
            (_("Registered at"), f"{p.registered_org.name}  {p.registered_org.code}"),
            (_("Living at"), p.current_org.name if p.current_org else _("same as registered")),
            (_("Household"), " ".join(x for x in (household.household_no, household.address) if x)
             if household else "—"),
            (_("Relationship to head"), _dash(p.get_relationship_display())),
            (_("Education"), _dash(p.get_education_display())),
            (_("Birth order"), _dash(p.birth_order)),
            (_("Mother"), self._parent(p.mother)),
            (_("Father"), self._parent(p.father)),
            (_("Status"), p.get_status_display()),
        ]

    def field_rows(self) -> list[list[tuple[str, str]]]:
        """The fields two to a row, as the card lays them out."""
        pairs = self.fields()
        return [pairs[i:i + 2] for i in range(0, len(pairs), 2)]


def person_card(person: Person, user) -> PersonCard:
    """The card of ``person`` as ``user`` may see it."""
    parents = [pk for pk in (person.mother_id, person.father_id) if pk]
    shown = frozenset(Person.objects.visible_to(user).filter(pk__in=parents)
                      .values_list("pk", flat=True)) if parents else frozenset()
    return PersonCard(person=person, unit=unit_path(person.registered_org),
                      history=effective_history(person), shown_parents=shown)


def log_person_card_view(person: Person) -> None:
    audit.record(AuditAction.VIEW, "person", person.pk, details={"part": "person card"})


def _recorded(entry: HistoryEntry) -> str:
    who = entry.recorded_by
    name = (who.get_full_name() or who.get_username()) if who is not None else ""
    return " ".join(x for x in (timezone.localtime(entry.recorded_at).strftime("%Y-%m-%d"), name)
                    if x)


def write_person_card_pdf(card: PersonCard, out: IO[bytes] | str | Path, *, user) -> int:
    """人员信息卡 as a PDF: the record and its effective ledger history; logged as an
    export of the person. Returns the history's length."""
    person = card.person

    def body(st: pdf.Styles, width: float) -> list[Any]:
        from reportlab.platypus import Spacer

        rows = [[n, e.get_event_type_display(), _date(e.event_date),
                 e.org.name if e.org else "—",
                 "\n".join(f"{label}：{value}" for label, value in e.details) or "—",
                 _recorded(e)] for n, e in enumerate(card.history, start=1)]
        return [
            pdf.fields(st, card.fields(), width=width),
            pdf.paragraph(_("Ledger history"), st.heading),
            pdf.grid(st, [_("No."), _("Event"), _("Event date"), _("Org unit"), _("Details"),
                          _("Recorded")], rows or [["—", _("No events."), "", "", "", ""]],
                     width=width, weights=(0.6, 1.3, 1.3, 1.4, 3.2, 1.8)),
            Spacer(1, 6),
            pdf.paragraph(_("As registered on %(d)s.") % {"d": clock.today().isoformat()},
                          st.small),
        ]

    pdf.write_form(out, title=_("Person card"), body=body,
                   lines=[f"{_('Unit')}：{card.unit}", f"{_('person number')}：{person.pk}"],
                   signatures=[_("Registered by"), _("Checked by (审核人)"), _("Date")],
                   unit=card.unit, printed=pdf.printed_by(user))
    audit.record(AuditAction.EXPORT, "person", person.pk,
                 details={"part": "person card", "format": "pdf", "events": len(card.history)})
    return len(card.history)
