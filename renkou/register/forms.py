"""Forms for recording life events (活台帐登记) and enrolling persons (建档).

Each form checks its input, resolves references (person ids, org unit codes,
household numbers) and calls one function of :mod:`renkou.register.services` in
``save``. The services hold the rules; when they refuse, :func:`attach_errors`
puts their reasons on the form fields they concern.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from renkou.core import clock
from renkou.orgunits.models import OrgUnit

from . import pickers, services
from .ethnicity import ETHNICITIES, parse_ethnicity
from .models import (
    Education,
    EventType,
    Household,
    HukouType,
    LifeEvent,
    MaritalStatus,
    Person,
    Relationship,
    Sex,
)
from .picker_fields import PersonPickerField, UnitChoiceField, bind_pickers
from .search import scoped_persons
from .vocabulary import NOT_PERSONS

__all__ = [
    "attach_errors",
    "EVENT_FORMS",
    "BirthForm",
    "DeathForm",
    "MarriageForm",
    "DivorceForm",
    "MoveOutForm",
    "MoveWithinForm",
    "MoveInForm",
    "VoidEventForm",
    "CorrectFieldsForm",
    "EnrolForm",
    "ExportForm",
]


def attach_errors(form: forms.Form, error: ValidationError,
                  field_map: dict[str, str] | None = None) -> None:
    """Put a service's ``ValidationError`` on the form.

    Keys that name a form field (after ``field_map``) go to that field; any other
    key, or an error without keys, becomes a form-wide error.
    """
    field_map = field_map or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, errors in error.error_dict.items():
        name = field_map.get(key, key)
        form.add_error(name if name in form.fields else None, errors)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _date_field(label, *, required: bool = True, past_only: bool = True) -> forms.DateField:
    field = forms.DateField(label=label, required=required, widget=DateInput())
    field.past_only = past_only  # the max attribute is set per request, see RegisterForm
    return field


class EthnicityField(forms.ChoiceField):
    """民族: a list of the GB 3304 names; a typed code (``1``, ``01``) or name (``汉``)
    is accepted too, and the value is the two-digit code."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("ethnicity"))
        super().__init__(choices=ETHNICITIES, **kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        return parse_ethnicity(text) or text


class RegisterForm(forms.Form):
    """Base: knows the user (for scoping) and the person the page is about."""

    required_css_class = "required"
    #: service error keys that belong to a differently named field here
    field_map: dict[str, str] = {}
    #: the form shows the person's full ID number, so showing it is a logged view
    shows_id_number = False

    def __init__(self, *args, user, person: Person | None = None, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.user = user
        self.person = person
        today = clock.today().isoformat()
        for field in self.fields.values():
            if getattr(field, "past_only", False):
                field.widget.attrs["max"] = today
        bind_pickers(self, user)

    def _person_ref(self, name: str) -> Person | None:
        """The person a picker field names (:func:`renkou.register.pickers.resolve_person`):
        one the user may see, or for a mother or father field also one found outside."""
        field = self.fields[name]
        return pickers.resolve_person(self.user, self.cleaned_data.get(name),
                                      parent=getattr(field, "parent", "") or None)

    def _org_ref(self, name: str) -> OrgUnit | None:
        code = (self.cleaned_data.get(name) or "").strip()
        if not code:
            return None
        # only units in the user's subtree: nobody moves or enrols a person outside it
        unit = OrgUnit.objects.visible_to(self.user).filter(code=code).first()
        if unit is None:
            raise ValidationError(_("there is no org unit with code %(code)s"),
                                  params={"code": code})
        return unit

    def _household_ref(self, name: str) -> Household | None:
        number = (self.cleaned_data.get(name) or "").strip()
        if not number:
            return None
        household = Household.objects.visible_to(self.user).filter(household_no=number).first()
        if household is None:
            raise ValidationError(_("there is no household with number %(no)s"),
                                  params={"no": number})
        return household

    def record(self) -> Person:
        """Call the service; return the person whose page to show next."""
        raise NotImplementedError

    def save(self) -> Person | None:
        """Record the event; on refusal attach the reasons and return ``None``."""
        try:
            return self.record()
        except ValidationError as error:
            attach_errors(self, error, self.field_map)
            return None


class BirthForm(RegisterForm):
    """生育登记: records a birth and creates the child's record."""

    title = _("Record a birth")
    success = _("The birth of %(name)s has been recorded.")
    field_map = {"event_date": "birth_date"}

    mother = PersonPickerField(label=_("mother"), sex=Sex.FEMALE, parent="mother")
    father = PersonPickerField(label=_("father"), sex=Sex.MALE, parent="father", required=False)
    name = forms.CharField(label=_("child's name"), max_length=50)
    sex = forms.ChoiceField(label=_("sex"), choices=Sex.choices, widget=forms.RadioSelect)
    birth_date = _date_field(_("birth date"))
    id_number = forms.CharField(label=_("ID number"), max_length=18, required=False)
    # 双胞胎、多胞胎: the other children of the same delivery, each with their own name
    name_2 = forms.CharField(label=_("twins: second child's name"), max_length=50, required=False,
                             help_text=_("only for a multiple birth; leave empty otherwise"))
    sex_2 = forms.ChoiceField(label=_("second child's sex"), choices=Sex.choices,
                              widget=forms.RadioSelect, required=False)
    id_number_2 = forms.CharField(label=_("second child's ID number"), max_length=18,
                                  required=False)
    name_3 = forms.CharField(label=_("triplets: third child's name"), max_length=50,
                             required=False)
    sex_3 = forms.ChoiceField(label=_("third child's sex"), choices=Sex.choices,
                              widget=forms.RadioSelect, required=False)
    id_number_3 = forms.CharField(label=_("third child's ID number"), max_length=18,
                                  required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.person is not None and not self.is_bound:
            key = "father" if self.person.sex == Sex.MALE else "mother"
            self.initial.setdefault(key, self.person.pk)
            bind_pickers(self, self.user)  # the label of the parent just set

    def clean(self) -> dict:
        d = super().clean()
        for n in (2, 3):
            if (d.get(f"name_{n}") or "").strip() and not d.get(f"sex_{n}"):
                self.add_error(f"sex_{n}", _("give the sex of each child"))
        if (d.get("name_3") or "").strip() and not (d.get("name_2") or "").strip():
            self.add_error("name_2", _("name the second child before the third"))
        return d

    def children(self) -> list[dict]:
        d = self.cleaned_data
        return [{"name": d[f"name{s}"], "sex": d[f"sex{s}"], "id_number": d[f"id_number{s}"]}
                for s in ("", "_2", "_3") if (d.get(f"name{s}") or "").strip()]

    def clean_mother(self) -> Person | None:
        return self._person_ref("mother")

    def clean_father(self) -> Person | None:
        return self._person_ref("father")

    def record(self) -> Person:
        d = self.cleaned_data
        children = self.children()
        if len(children) == 1:
            self.created = [services.record_birth(
                mother=d["mother"], father=d["father"], name=d["name"], sex=d["sex"],
                birth_date=d["birth_date"], id_number=d["id_number"] or None, user=self.user,
            )]
        else:
            self.created = services.record_multiple_birth(
                mother=d["mother"], father=d["father"], birth_date=d["birth_date"],
                children=children, user=self.user)
        return self.person or self.created[0]

    def success_message(self) -> str:
        return self.success % {"name": "、".join(c.name for c in self.created)}


class EventForm(RegisterForm):
    """An event on the page's person with an event date."""

    success = _("The event has been recorded.")

    event_date = _date_field(_("event date"))

    def success_message(self) -> str:
        return str(self.success)


class DeathForm(EventForm):
    title = _("Record a death")
    success = _("The death has been recorded.")

    cause = forms.CharField(label=_("cause of death"), max_length=200, required=False)

    def record(self) -> Person:
        services.record_death(self.person, event_date=self.cleaned_data["event_date"],
                              cause=self.cleaned_data["cause"], user=self.user)
        return self.person


class MarriageForm(EventForm):
    title = _("Record a marriage")
    success = _("The marriage has been recorded.")

    spouse = PersonPickerField(label=_("spouse"))

    def clean_spouse(self) -> Person | None:
        return self._person_ref("spouse")

    def record(self) -> Person:
        services.record_marriage(self.person, self.cleaned_data["spouse"],
                                 event_date=self.cleaned_data["event_date"], user=self.user)
        return self.person


class DivorceForm(EventForm):
    title = _("Record a divorce")
    success = _("The divorce has been recorded.")

    spouse = PersonPickerField(label=_("spouse"), required=False,
                               help_text=_("optional; the divorce is then recorded for both"))

    def clean_spouse(self) -> Person | None:
        return self._person_ref("spouse")

    def record(self) -> Person:
        services.record_divorce(self.person, spouse=self.cleaned_data["spouse"],
                                event_date=self.cleaned_data["event_date"], user=self.user)
        return self.person


class MoveOutForm(EventForm):
    title = _("Record a move out")
    success = _("The move out has been recorded.")

    destination = forms.CharField(label=_("destination"), max_length=200, required=False,
                                  help_text=_("where the person moved to"))

    def record(self) -> Person:
        services.record_move_out(self.person, event_date=self.cleaned_data["event_date"],
                                 destination=self.cleaned_data["destination"], user=self.user)
        return self.person


class MoveWithinForm(EventForm):
    title = _("Record a move within the county")
    success = _("The move within the county has been recorded.")
    field_map = {"org": "org_code", "household": "household_no"}

    org_code = UnitChoiceField(label=_("destination org unit"))
    household_no = forms.CharField(label=_("household number"), max_length=24, required=False)
    relationship = forms.ChoiceField(label=_("relationship to head"), required=False,
                                     choices=[("", "—"), *Relationship.choices])

    def clean_org_code(self) -> OrgUnit | None:
        return self._org_ref("org_code")

    def clean_household_no(self) -> Household | None:
        return self._household_ref("household_no")

    def record(self) -> Person:
        d = self.cleaned_data
        services.record_move_within(self.person, org=d["org_code"], event_date=d["event_date"],
                                    household=d["household_no"],
                                    relationship=d["relationship"], user=self.user)
        return self.person


class MoveInForm(MoveWithinForm):
    title = _("Record a move in")
    success = _("The move in has been recorded.")

    org_code = UnitChoiceField(label=_("org unit moved into"))
    origin = forms.CharField(label=_("origin"), max_length=200, required=False,
                             help_text=_("where the person came from"))

    field_order = ["event_date", "org_code", "origin", "household_no", "relationship"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.person is not None and not self.is_bound:
            self.initial.setdefault("org_code", self.person.registered_org.code)

    def record(self) -> Person:
        d = self.cleaned_data
        services.record_move_in(self.person, org=d["org_code"], event_date=d["event_date"],
                                origin=d["origin"], household=d["household_no"],
                                relationship=d["relationship"], user=self.user)
        return self.person


class VoidEventForm(RegisterForm):
    """更正: record that an event did not happen; it stays in the ledger, marked void."""

    title = _("Correct: void an event")
    success = _("The event has been voided.")

    event = forms.TypedChoiceField(label=_("event"), coerce=int)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        events = (
            LifeEvent.objects.filter(person=self.person, superseded_by__isnull=True)
            .order_by("event_date", "pk")
        ) if self.person is not None else LifeEvent.objects.none()
        self.fields["event"].choices = [
            (e.pk, f"#{e.pk} {e.get_event_type_display()} {e.event_date.isoformat()}")
            for e in events
        ]

    def record(self) -> Person:
        event = LifeEvent.objects.select_related("person").get(
            pk=self.cleaned_data["event"], person=self.person
        )
        services.void_event(event, reason=self.cleaned_data["reason"], user=self.user)
        return self.person

    def success_message(self) -> str:
        return str(self.success)


class CorrectFieldsForm(RegisterForm):
    """更正: fix identity fields; old and new values stay in the ledger."""

    title = _("Correct: fix identity fields")
    success = _("The correction has been recorded.")
    fixable = ("name", "id_number", "sex", "birth_date", "ethnicity", "education",
               "hukou_type", "relationship", "marital_status")
    shows_id_number = True

    name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=50)
    id_number = forms.CharField(label=_("ID number"), max_length=18, required=False)
    sex = forms.ChoiceField(label=_("sex"), choices=Sex.choices, widget=forms.RadioSelect)
    birth_date = forms.DateField(label=_("birth date"), widget=DateInput())
    ethnicity = EthnicityField()
    education = forms.ChoiceField(label=_("education"), required=False,
                                  choices=[("", "—"), *Education.choices])
    hukou_type = forms.ChoiceField(label=_("hukou type"), choices=HukouType.choices)
    relationship = forms.ChoiceField(label=_("relationship to head"), required=False,
                                     choices=[("", "—"), *Relationship.choices])
    marital_status = forms.ChoiceField(label=_("marital status"),
                                       choices=MaritalStatus.choices)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.person is not None and not self.is_bound:
            for name in self.fixable:
                self.initial.setdefault(name, getattr(self.person, name) or "")

    def changes(self) -> dict[str, Any]:
        d = self.cleaned_data
        out: dict[str, Any] = {}
        for name in self.fixable:
            new = d[name]
            if name == "id_number":
                new = new.strip().upper() or None
            old = getattr(self.person, name)
            if (old or None) != (new or None):
                out[name] = new
        return out

    def record(self) -> Person:
        services.correct_fields(self.person, self.changes(), reason=self.cleaned_data["reason"],
                                user=self.user)
        return self.person

    def save(self) -> Person | None:
        result = super().save()
        if result is None:
            self.person.refresh_from_db()  # the service may have changed it in memory
        return result

    def success_message(self) -> str:
        return str(self.success)


class EnrolForm(RegisterForm):
    """建档: enter a person found in the area into the register."""

    title = _("Enrol a person")
    success = _("%(name)s has been enrolled.")
    field_map = {"org": "org_code"}

    name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=50)
    sex = forms.ChoiceField(label=_("sex"), choices=Sex.choices, widget=forms.RadioSelect)
    birth_date = forms.DateField(label=_("birth date"), widget=DateInput())
    id_number = forms.CharField(label=_("ID number"), max_length=18, required=False)
    ethnicity = EthnicityField(initial="01")
    hukou_type = forms.ChoiceField(label=_("hukou type"), choices=HukouType.choices)
    org_code = UnitChoiceField(label=_("registered org unit"))
    household_no = forms.CharField(
        label=_("household number"), max_length=24, required=False,
        help_text=_("a new number opens a new household in the org unit above"),
    )
    address = forms.CharField(label=_("address"), max_length=200, required=False,
                              help_text=_("for a new household"))
    relationship = forms.ChoiceField(label=_("relationship to head"), required=False,
                                     choices=[("", "—"), *Relationship.choices])
    marital_status = forms.ChoiceField(label=_("marital status"), choices=MaritalStatus.choices)
    education = forms.ChoiceField(label=_("education"), required=False,
                                  choices=[("", "—"), *Education.choices])
    event_date = _date_field(_("enrolment date"))
    confirm_new = forms.BooleanField(
        label=_("this is another person, not the one already registered"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("event_date", clock.today())
            if getattr(self.user, "org_id", None):
                self.initial.setdefault("org_code", self.user.org.code)

    def clean_org_code(self) -> OrgUnit | None:
        return self._org_ref("org_code")

    def clean(self) -> dict:
        """Warn of a person with the same name, birth date and sex already registered in
        the unit (most often the same person entered twice) and ask to confirm."""
        d = super().clean()
        if d.get("confirm_new") or not all(d.get(k) for k in ("name", "birth_date", "sex",
                                                                 "org_code")):
            return d
        same = (scoped_persons(self.user)
                .filter(registered_org=d["org_code"], name=d["name"].strip(),
                        birth_date=d["birth_date"], sex=d["sex"])
                .exclude(status__in=NOT_PERSONS).first())
        if same is not None:
            self.add_error("confirm_new", format_html(
                '{} <a href="{}">{}</a>',
                _("%(name)s, born %(date)s, is already registered in this unit (person number "
                  "%(pk)s). If this is another person, tick the box and save again.")
                % {"name": same.name, "date": same.birth_date.isoformat(), "pk": same.pk},
                reverse("register:person", args=[same.pk]), _("open the existing record")))
        return d

    @transaction.atomic
    def record(self) -> Person:
        d = self.cleaned_data
        household = None
        number = d["household_no"].strip()
        if number:
            if not Household.objects.visible_to(self.user).filter(household_no=number).exists() \
                    and Household.objects.filter(household_no=number).exists():
                raise ValidationError({"household_no": _(
                    "household number %(no)s belongs to a household outside your area")
                    % {"no": number}})
            household, _created = Household.objects.get_or_create(
                household_no=number, defaults={"org": d["org_code"], "address": d["address"]},
            )
        self.created = services.enrol_person(
            event_date=d["event_date"], user=self.user, household=household,
            relationship=d["relationship"], marital_status=d["marital_status"],
            name=d["name"], sex=d["sex"], birth_date=d["birth_date"], org=d["org_code"],
            hukou_type=d["hukou_type"], id_number=d["id_number"] or None,
            ethnicity=d["ethnicity"], education=d["education"],
        )
        if household is not None and household.head_id is None \
                and d["relationship"] == Relationship.HEAD:
            household.head = self.created
            household.save(update_fields=["head"])
        return self.created

    def success_message(self) -> str:
        return self.success % {"name": self.created.name}


#: URL slug → (form class, event type it records) for the person's event pages.
EVENT_FORMS: dict[str, tuple[type[RegisterForm], str]] = {
    "birth": (BirthForm, EventType.BIRTH),
    "death": (DeathForm, EventType.DEATH),
    "marriage": (MarriageForm, EventType.MARRIAGE),
    "divorce": (DivorceForm, EventType.DIVORCE),
    "move-out": (MoveOutForm, EventType.MOVE_OUT),
    "move-within": (MoveWithinForm, EventType.MOVE_WITHIN),
    "move-in": (MoveInForm, EventType.MOVE_IN),
    "void": (VoidEventForm, EventType.CORRECTION),
    "fix": (CorrectFieldsForm, EventType.CORRECTION),
}


class ExportForm(forms.Form):
    """导出: which persons to export (an org subtree, as of a date) and in what format.

    Sent by GET; the export service checks the org code against the user's subtree.
    """

    FORMATS = [("csv", _("CSV (UTF-8)")), ("xlsx", _("Excel (.xlsx)"))]

    org = UnitChoiceField(label=_("org unit"), required=False,
                          help_text=_("empty: your own org unit"))
    as_of = forms.DateField(label=_("as of"), required=False, widget=DateInput(),
                            help_text=_("empty: the register today"))
    LABELS = [("zh", _("Chinese headers and values (姓名, 男, 农业户口)")),
              ("machine", _("machine columns and codes (name, M, rural), for scripts"))]

    format = forms.ChoiceField(label=_("format"), choices=FORMATS, initial="csv", required=False)
    labels = forms.ChoiceField(label=_("columns"), choices=LABELS, initial="zh", required=False)

    def __init__(self, *args, user, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", "export_%s")
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["as_of"].widget.attrs["max"] = clock.today().isoformat()
        if getattr(user, "org_id", None):
            self.fields["org"].initial = user.org.code
        bind_pickers(self, user)

    def clean_org(self) -> str:
        return (self.cleaned_data.get("org") or "").strip()

    def clean_as_of(self):
        as_of = self.cleaned_data.get("as_of")
        if as_of and as_of > clock.today():
            raise ValidationError(_("the date is later than today"))
        return as_of

    def clean_format(self) -> str:
        return self.cleaned_data.get("format") or "csv"
