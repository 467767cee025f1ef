"""Forms of the service-record pages: input checking only; the rules are in
:mod:`renkou.services.services`, whose refusals (``ValidationError`` dicts) land on the
fields they name (:func:`renkou.register.forms.attach_errors`): ``values.<item>`` on the
item's field, ``consent`` (no active consent for the service) as an error of the whole
form, which the page shows with a link to record the consent (:attr:`ServiceForm.consent_missing`).

The encounter form is built from the catalogue's items of the chosen service
(:class:`EncounterForm`): a choice is a drop-down list, yes/no a 是/否 list, a number a
number box, a date a date box, text a text box; follow-ups are offered only when the
person has an active follow-up consent for the service.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.core import clock
from renkou.core.scoping import subtree_q, user_org_path
from renkou.orgunits.models import OrgLevel, OrgUnit
from renkou.register.forms import DateInput, attach_errors
from renkou.register.models import Person

from . import services
from .catalogue import Item, Service
from .catalogue import services as catalogue_services
from .models import (
    ConsentMethod,
    FollowUpState,
    PlaceKind,
    Purpose,
    RequestState,
    ServiceRequest,
)

__all__ = ["ServiceForm", "SearchForm", "ConsentForm", "RequestForm", "EncounterForm",
           "WithdrawForm", "CloseRequestForm", "CloseFollowUpForm", "BreakGlassForm",
           "item_field"]

#: The prefix of an item's field in the encounter form (``item_<code>``).
ITEM_PREFIX = "item_"
INDENT = "\u3000"


def _date(label, *, required: bool = True, past_only: bool = True, **kwargs) -> forms.DateField:
    field = forms.DateField(label=label, required=required, widget=DateInput(), **kwargs)
    field.past_only = past_only  # type: ignore[attr-defined]  # ServiceForm sets max=today
    return field


def _service_choices(*, blank: str | None = None) -> list[tuple[str, str]]:
    found = [(s.code, s.name) for s in catalogue_services().values()]
    return [("", blank), *found] if blank is not None else found


def station_units(user):
    """The units a health worker records at: her own unit and those below it."""
    path = user_org_path(user)
    units = OrgUnit.objects.all()
    if path is not None:
        units = units.filter(subtree_q(path)) if path else units.none()
    return units.order_by("path")


class UnitField(forms.ChoiceField):
    """A unit by its division code, from a list given by the form; cleaned to the unit."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("choices", ())
        super().__init__(**kwargs)
        self.units: dict[str, OrgUnit] = {}

    def set_units(self, units, *, blank: str | None = None) -> None:
        listed = list(units)
        top = min((u.level for u in listed), default=0)
        self.units = {u.code: u for u in listed}
        options = [(u.code, f"{INDENT * (u.level - top)}{u.name}（{u.code}）") for u in listed]
        self.choices = [("", blank), *options] if blank is not None else options

    def clean(self, value) -> OrgUnit | None:
        code = super().clean(value)
        return self.units.get(code) if code else None


class ServiceForm(forms.Form):
    """Base: knows the user and the person served; ``save`` calls the service and puts
    its refusal on the fields."""

    required_css_class = "required"
    #: service error keys that belong to a differently named field here
    field_map: dict[str, str] = {}

    def __init__(self, *args, user, person: Person, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.user, self.person = user, person
        #: the service refused for want of an active consent (the page links to record one)
        self.consent_missing = False
        today = clock.today().isoformat()
        for field in self.fields.values():
            if getattr(field, "past_only", False):
                field.widget.attrs["max"] = today
        if "org" in self.fields:
            org_field: UnitField = self.fields["org"]  # type: ignore[assignment]
            org_field.set_units(station_units(user))
            if not self.is_bound and getattr(user, "org_id", None):
                self.initial.setdefault("org", user.org.code)

    def _choice(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    def record(self) -> Any:
        raise NotImplementedError

    def attach(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict") and "consent" in error.error_dict:
            self.consent_missing = True
        attach_errors(self, error, self.field_map)

    def save(self) -> Any:
        """Record; on refusal attach the reasons and return ``None``."""
        try:
            return self.record()
        except ValidationError as error:
            self.attach(error)
            return None


class SearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("name, pinyin initials or the full ID number"),
                        max_length=50, required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))


class ConsentForm(ServiceForm):
    """知情同意: a consent the person gave, for one purpose (FHIR Consent)."""

    title = gettext_lazy("Record a consent")

    purpose = forms.ChoiceField(label=gettext_lazy("purpose"), choices=Purpose.choices)
    service_code = forms.ChoiceField(
        label=gettext_lazy("service"), required=False,
        help_text=gettext_lazy("receiving a service and follow-up name the service; sharing and "
                               "statistics may cover every service"))
    given_on = _date(gettext_lazy("given on"))
    method = forms.ChoiceField(label=gettext_lazy("how it was given"),
                               choices=ConsentMethod.choices)
    witness = forms.CharField(label=gettext_lazy("witness"), max_length=50, required=False,
                              help_text=gettext_lazy("needed for a verbal consent"))
    information_version = forms.CharField(
        label=gettext_lazy("information given (version)"), max_length=100, required=False,
        widget=forms.TextInput(attrs={"list": "information-versions"}),
        help_text=gettext_lazy("left empty: the information sheet the catalogue names for the "
                               "service"))
    expires_on = _date(gettext_lazy("expires on"), required=False, past_only=False,
                       help_text=gettext_lazy("empty: until the person withdraws it"))
    share_with = UnitField(label=gettext_lazy("shared with (office)"), required=False,
                           help_text=gettext_lazy("only for a consent to share: the office "
                                                  "that may read her results; empty for every "
                                                  "office here"))
    org = UnitField(label=gettext_lazy("recorded at (unit)"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._choice("service_code").choices = _service_choices(blank=_("every service"))
        share: UnitField = self.fields["share_with"]  # type: ignore[assignment]
        share.set_units(OrgUnit.objects.filter(level__lte=OrgLevel.TOWNSHIP).order_by("path"),
                        blank="—")
        if not self.is_bound:
            self.initial.setdefault("given_on", clock.today())
            code = self.initial.get("service_code")
            if code in catalogue_services():
                self.initial.setdefault("information_version",
                                        catalogue_services()[code].information_version)

    def record(self):
        d = self.cleaned_data
        return services.give_consent(
            self.person, purpose=d["purpose"], given_on=d["given_on"], method=d["method"],
            information_version=d["information_version"], service_code=d["service_code"],
            witness=d["witness"], expires_on=d["expires_on"], share_with=d["share_with"],
            org=d["org"], user=self.user, via="form")


class RequestForm(ServiceForm):
    """服务需求: the person asks for a service."""

    title = gettext_lazy("Record a request")
    field_map = {"requested_on": "requested_on"}

    service_code = forms.ChoiceField(label=gettext_lazy("service"))
    requested_on = _date(gettext_lazy("asked on"))
    org = UnitField(label=gettext_lazy("asked at"))
    note = forms.CharField(label=gettext_lazy("note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._choice("service_code").choices = _service_choices()
        if not self.is_bound:
            self.initial.setdefault("requested_on", clock.today())

    def record(self):
        d = self.cleaned_data
        return services.request_service(self.person, service_code=d["service_code"],
                                        requested_on=d["requested_on"], org=d["org"],
                                        user=self.user, note=d["note"])


YES_NO = [("", "—"), ("yes", gettext_lazy("yes")), ("no", gettext_lazy("no"))]


def item_field(item: Item) -> forms.Field:
    """The form field of one catalogue item (never required: a step not done is empty)."""
    label = f"{item.name}（{item.unit}）" if item.unit else item.name
    help_text = _("a health result: read by health workers only") if item.sensitive else ""
    common: dict[str, Any] = {"label": label, "required": False, "help_text": help_text}
    if item.kind == "choice":
        return forms.ChoiceField(choices=[("", "—"), *((c.code, c.name) for c in item.choices)],
                                 **common)
    if item.kind == "yes_no":
        return forms.ChoiceField(choices=YES_NO, **common)
    if item.kind == "number":
        return forms.FloatField(**common)
    if item.kind == "date":
        return _date(past_only=False, **common)
    return forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), **common)


class EncounterForm(ServiceForm):
    """服务记录: one service given, with the catalogue's items of ``service``."""

    date = _date(gettext_lazy("date"))
    org = UnitField(label=gettext_lazy("service unit"))
    place_kind = forms.ChoiceField(label=gettext_lazy("place"), choices=PlaceKind.choices,
                                   initial=PlaceKind.TOWNSHIP_STATION)
    provider = forms.CharField(label=gettext_lazy("provider"), max_length=50)
    request = forms.ChoiceField(label=gettext_lazy("the request it answers"), required=False)

    def __init__(self, *args, service: Service, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.service = service
        self.title = _("Record a service: %(service)s") % {"service": service.name}
        user, person = self.user, self.person
        waiting = list(ServiceRequest.objects.visible_to(user)
                       .filter(person=person, service_code=service.code, state=RequestState.OPEN)
                       .select_related("org").order_by("requested_on", "id"))
        self.requests = {str(r.pk): r for r in waiting}
        self._choice("request").choices = [("", "—"), *(
            (str(r.pk), _("asked on %(day)s at %(unit)s")
             % {"day": r.requested_on.isoformat(), "unit": r.org.name}) for r in waiting)]
        if not waiting:
            del self.fields["request"]
        self.field_map = {f"values.{i.code}": ITEM_PREFIX + i.code for i in service.items}
        for item in service.items:
            self.fields[ITEM_PREFIX + item.code] = item_field(item)
        self.fields["referred"] = forms.BooleanField(label=_("referred"), required=False)
        self.fields["referral_to"] = forms.CharField(label=_("referred to"), max_length=100,
                                                     required=False)
        self.fields["next_appointment"] = _date(
            _("next appointment"), required=False, past_only=False,
            help_text=_("only if the person wants one"))
        #: the person's active follow-up consent for the service (follow-ups need it)
        self.follow_up_consent = services.active_consent(person, Purpose.FOLLOW_UP, service.code)
        if service.follow_ups and self.follow_up_consent is not None:
            self.fields["follow_ups"] = forms.MultipleChoiceField(
                label=_("follow-ups she agreed to"), required=False,
                widget=forms.CheckboxSelectMultiple,
                choices=[(f.code, _("%(name)s (due after %(days)d days)")
                          % {"name": f.name, "days": f.after_days}) for f in service.follow_ups])
        self.fields["note"] = forms.CharField(label=_("note"), max_length=500, required=False,
                                              widget=forms.Textarea(attrs={"rows": 2}))
        if not self.is_bound:
            self.initial.setdefault("date", clock.today())
            name = user.get_full_name() if hasattr(user, "get_full_name") else ""
            self.initial.setdefault("provider", name or getattr(user, "username", ""))
            if len(waiting) == 1:
                self.initial.setdefault("request", str(waiting[0].pk))

    def item_fields(self) -> list[forms.BoundField]:
        return [self[ITEM_PREFIX + i.code] for i in self.service.items]

    def values(self) -> dict[str, Any]:
        """The items filled in, as :func:`renkou.services.services.check_values` reads them."""
        found: dict[str, Any] = {}
        for item in self.service.items:
            value = self.cleaned_data.get(ITEM_PREFIX + item.code)
            if value is None or value == "":
                continue
            found[item.code] = value.isoformat() if isinstance(value, dt.date) else value
        return found

    def record(self):
        d = self.cleaned_data
        return services.record_encounter(
            self.person, service_code=self.service.code, date=d["date"], org=d["org"],
            provider=d["provider"], values=self.values(), place_kind=d["place_kind"],
            referred=d["referred"], referral_to=d["referral_to"],
            next_appointment=d["next_appointment"], follow_ups=d.get("follow_ups") or (),
            request=self.requests.get(d.get("request") or ""), note=d["note"],
            user=self.user, via="form")


class WithdrawForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("note on the withdrawal"), max_length=200,
                           required=False)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class CloseRequestForm(forms.Form):
    state = forms.ChoiceField(label=gettext_lazy("closed as"), choices=[
        (RequestState.WITHDRAWN, RequestState.WITHDRAWN.label),
        (RequestState.REFERRED, RequestState.REFERRED.label)])
    note = forms.CharField(label=gettext_lazy("note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class CloseFollowUpForm(forms.Form):
    state = forms.ChoiceField(label=gettext_lazy("closed as"), choices=[
        (FollowUpState.DONE, FollowUpState.DONE.label),
        (FollowUpState.DECLINED, FollowUpState.DECLINED.label)])
    outcome = forms.CharField(label=gettext_lazy("outcome"), max_length=500, required=False)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        if d.get("state") == FollowUpState.DONE and not (d.get("outcome") or "").strip():
            self.add_error("outcome", _("write the outcome of the follow-up"))
        return d


class BreakGlassForm(forms.Form):
    """紧急调阅: the reason for reading the records another unit keeps."""

    reason = forms.CharField(
        label=gettext_lazy("reason for reading the other units' records"), max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("e.g. the person is being served here and her earlier results "
                               "are needed"))

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
