"""Forms of the migrant pages (流动人口): input checking and the pickers of the register;
the rules are in :mod:`renkou.migrants.services`, whose refusals
(:class:`~django.core.exceptions.ValidationError` dicts) land on the fields they name
(:func:`renkou.register.forms.attach_errors`)."""

from __future__ import annotations

from functools import partial
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from renkou.analytics.periods import PeriodError, parse_period
from renkou.core import clock
from renkou.orgunits.models import OrgLevel, OrgUnit
from renkou.register.forms import DateInput, RegisterForm
from renkou.register.models import Person, Sex
from renkou.register.picker_fields import PersonPickerField, UnitChoiceField, bind_pickers

from . import services
from .models import EndReason, Message, MigrantSpell, MoveReason, Peer, Urgency
from .readable import SUBJECT_LABELS

__all__ = ["SUBJECTS", "ArrivalForm", "DepartureForm", "EndSpellForm", "AnswerForm",
           "RejectForm", "RequestForm", "SpellFilterForm", "PeerForm", "ImportBatchForm",
           "ExportBatchForm", "RatesForm"]

#: What a verification request (协查) asks about.
SUBJECTS = list(SUBJECT_LABELS.items())


def _date(label, *, required: bool = True) -> forms.DateField:
    field = forms.DateField(label=label, required=required, widget=DateInput())
    # a marker RegisterForm reads (getattr) to set the input's max to today; not a DateField attribute
    field.past_only = True  # type: ignore[attr-defined]
    return field


class ArrivalForm(RegisterForm):
    """流入登记: someone whose hukou is elsewhere comes to live in a unit here."""

    title = _("Register an arrival")
    field_map = {"person": "id_number", "event_date": "arrival_date", "org": "residence_org",
                 "residence_org_code": "residence_org"}

    id_number = forms.CharField(label=_("ID number"), max_length=18, required=False,
                                help_text=_("a person already in the register is found by it"))
    name = forms.CharField(label=_("name"), max_length=50, required=False)
    sex = forms.ChoiceField(label=_("sex"), choices=Sex.choices, widget=forms.RadioSelect,
                            required=False)
    birth_date = _date(_("birth date"), required=False)
    hukou_code = forms.CharField(
        label=_("hukou place (division code)"), max_length=12,
        help_text=_("the 6, 9 or 12 digits of the county, township or village of the hukou"))
    residence_org = UnitChoiceField(label=_("residence (village or community)"))
    arrival_date = _date(_("arrival date"))
    reason = forms.ChoiceField(label=_("reason for moving"), choices=MoveReason.choices,
                               initial=MoveReason.WORK)
    phone = forms.CharField(label=_("phone"), max_length=20, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].help_text = _("name, sex and birth date: only for a person not yet "
                                          "in the register, who is enrolled in the residence unit")
        if not self.is_bound:
            self.initial.setdefault("arrival_date", clock.today())
            if getattr(self.user, "org_id", None) and self.user.org.level >= OrgLevel.VILLAGE:
                self.initial.setdefault("residence_org", self.user.org.code)

    def clean_residence_org(self) -> OrgUnit | None:
        unit = self._org_ref("residence_org")
        if unit is not None and unit.level < OrgLevel.VILLAGE:
            raise ValidationError(_("choose a village or community: %(name)s is a %(kind)s"),
                                  params={"name": unit.name, "kind": unit.get_kind_display()})
        return unit

    def clean_hukou_code(self) -> str:
        code = (self.cleaned_data.get("hukou_code") or "").strip()
        if not code.isdigit() or len(code) not in (6, 9, 12):
            raise ValidationError(_("a division code has 6, 9 or 12 digits"))
        return code

    # The page shown next is the spell's, not a person's (RegisterForm.record returns a Person)
    def record(self) -> MigrantSpell:  # type: ignore[override]
        d = self.cleaned_data
        self.spell = services.register_arrival(
            hukou_code=d["hukou_code"], residence_org=d["residence_org"],
            arrival_date=d["arrival_date"], reason=d["reason"], phone=d["phone"].strip(),
            id_number=d["id_number"].strip() or None, name=d["name"].strip(), sex=d["sex"],
            birth_date=d["birth_date"], user=self.user, via="form")
        return self.spell


class DepartureForm(RegisterForm):
    """流出登记: a resident here leaves to live elsewhere."""

    title = _("Register a departure")
    field_map = {"residence_code": "destination_code", "residence_address": "destination_address",
                 "event_date": "departure_date", "destination": "destination_code"}

    # a declared field (the form's metaclass moves it to base_fields): it does not shadow
    # RegisterForm's self.person, the person the page is about
    person = PersonPickerField(label=_("person"))  # type: ignore[assignment]
    departure_date = _date(_("departure date"))
    destination_code = forms.CharField(
        label=_("destination (division code)"), max_length=12, required=False,
        help_text=_("the 6, 9 or 12 digits of where the person went; the office there is told"))
    destination_address = forms.CharField(label=_("destination address"), max_length=200,
                                          required=False)
    reason = forms.ChoiceField(label=_("reason for moving"), choices=MoveReason.choices,
                               initial=MoveReason.WORK)
    phone = forms.CharField(label=_("phone"), max_length=20, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("departure_date", clock.today())

    def clean_person(self) -> Person | None:
        return self._person_ref("person")

    # The page shown next is the spell's, not a person's (RegisterForm.record returns a Person)
    def record(self) -> MigrantSpell:  # type: ignore[override]
        d = self.cleaned_data
        self.spell = services.register_departure(
            d["person"], departure_date=d["departure_date"],
            destination_code=d["destination_code"].strip(),
            destination_address=d["destination_address"].strip(), reason=d["reason"],
            phone=d["phone"].strip(), user=self.user, via="form")
        return self.spell


class EndSpellForm(forms.Form):
    """End a spell (the person came back, the hukou moved, recorded in error …)."""

    end_date = forms.DateField(label=_("ended on"), widget=DateInput(), initial=clock.today)
    end_reason = forms.ChoiceField(label=_("ended because"), choices=[
        (v, label) for v, label in EndReason.choices if v != EndReason.MOVED_ON])

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["end_date"].widget.attrs["max"] = clock.today().isoformat()


class AnswerForm(forms.Form):
    """协查反馈: the answer to a verification request received."""

    YES_NO = [("yes", _("yes")), ("no", _("no"))]

    result = forms.CharField(label=_("result of the verification"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3}))
    found = forms.ChoiceField(label=_("found in the register here"), choices=YES_NO,
                              initial="yes", widget=forms.RadioSelect)
    alive = forms.ChoiceField(label=_("alive today"), choices=[("", "—"), *YES_NO],
                              required=False, widget=forms.RadioSelect)

    def __init__(self, *args, subject: str = "", **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", "answer_%s")
        super().__init__(*args, **kwargs)
        if subject != "life":
            del self.fields["alive"]

    def clean_found(self) -> bool:
        return self.cleaned_data["found"] == "yes"

    def clean_alive(self) -> bool | None:
        value = self.cleaned_data.get("alive")
        return None if not value else value == "yes"


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("reason for rejecting"), max_length=300,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", "reject_%s")
        super().__init__(*args, **kwargs)


class RequestForm(RegisterForm):
    """协查请求: ask another office to confirm a fact about a person of the register."""

    title = _("New verification request")
    field_map = {"person": "person", "id_number": "person", "code": "to", "receiver": "to",
                 "payload.subject": "subject", "payload.question": "question"}

    # a declared field (the form's metaclass moves it to base_fields): it does not shadow
    # RegisterForm's self.person, the person the page is about
    person = PersonPickerField(label=_("person"))  # type: ignore[assignment]
    to = forms.CharField(label=_("office asked (division code)"), max_length=12,
                         widget=forms.TextInput(attrs={"list": "peer-codes"}),
                         help_text=_("the county office of the other place (12 digits, or its "
                                     "first 6)"))
    subject = forms.ChoiceField(label=_("subject of the verification"), choices=SUBJECTS)
    urgency = forms.ChoiceField(label=_("urgency"), choices=Urgency.choices,
                                initial=Urgency.ORDINARY, widget=forms.RadioSelect)
    question = forms.CharField(label=_("question"), max_length=500, required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))

    def clean_person(self) -> Person | None:
        return self._person_ref("person")

    def clean_to(self) -> str:
        code = (self.cleaned_data.get("to") or "").strip()
        if not code.isdigit() or len(code) not in (6, 9, 12):
            raise ValidationError(_("a division code has 6, 9 or 12 digits"))
        return code

    # The page shown next is the message's, not a person's (RegisterForm.record returns a Person)
    def record(self) -> Message:  # type: ignore[override]
        d = self.cleaned_data
        self.message = services.request_verification(
            person=d["person"], to=d["to"], subject=d["subject"], urgency=d["urgency"],
            question=d["question"].strip(), user=self.user)
        return self.message


class SpellFilterForm(forms.Form):
    """The filters of a list of migrants (sent by GET)."""

    org = UnitChoiceField(label=_("unit"), required=False, blank_label=_("all my units"))
    reason = forms.ChoiceField(label=_("reason for moving"), required=False,
                               choices=[("", "—"), *MoveReason.choices])
    q = forms.CharField(label=_("name"), required=False, max_length=50)

    def __init__(self, *args, user, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        bind_pickers(self, user)


class PeerForm(forms.ModelForm):
    """A counterpart office (对方管理地) and its public key."""

    public_key = forms.CharField(label=_("public key"), max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 2}),
                                 help_text=_("ed25519:… as the other office's renkou writes it, "
                                             "or PEM"))

    class Meta:
        model = Peer
        fields = ["code", "name", "public_key", "url"]
        field_classes = {"url": partial(forms.URLField, assume_scheme="https")}

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", "peer_%s")
        super().__init__(*args, **kwargs)

    def clean_code(self) -> str:
        code = (self.cleaned_data.get("code") or "").strip()
        if not code.isdigit() or len(code) not in (6, 9, 12):
            raise ValidationError(_("a division code has 6, 9 or 12 digits"))
        code = code.ljust(12, "0")
        try:
            here = services.office_code()
        except ValidationError:
            here = ""
        if code == here:
            raise ValidationError(_("%(code)s is this office itself"), params={"code": code})
        return code

    def clean_public_key(self) -> str:
        """The key in its one-line form (``ed25519:<base64>``; PEM is read too)."""
        from .signing import public_key_text

        try:
            return public_key_text(self.cleaned_data.get("public_key") or "")
        except ValidationError as error:
            raise ValidationError(error.messages) from None

    def clean_url(self) -> str:
        url = (self.cleaned_data.get("url") or "").strip()
        if url and not url.startswith(("http://", "https://")):
            raise ValidationError(_("a server address begins with http:// or https://"))
        return url.rstrip("/")


class ExportBatchForm(forms.Form):
    to = forms.ChoiceField(label=_("for the office"), choices=())

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", "export_%s")
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["to"]).choices = [(p.code, str(p)) for p in Peer.objects.all()]


class ImportBatchForm(forms.Form):
    batch = forms.FileField(label=_("batch file (.json)"))

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", "import_%s")
        super().__init__(*args, **kwargs)

    def clean_batch(self):
        upload = self.cleaned_data["batch"]
        if upload.size > 50 * 1024 * 1024:
            raise ValidationError(_("a batch file may be at most 50 MB"))
        return upload


def current_half_year() -> str:
    """The label of the current half-year (2026H2)."""
    today = clock.today()
    return f"{today.year}H{1 if today.month <= 6 else 2}"


class RatesForm(forms.Form):
    """The period of the rates page (a label: 2026H1, 2026Q3, 2026, 2026-05, SY2026;
    default the current half-year) and, if wanted, one counterparty office."""

    period = forms.CharField(label=_("period"), max_length=10, initial=current_half_year,
                             help_text=_("2026H1, 2026Q3, 2026, 2026-05 or SY2026"))
    counterparty = forms.CharField(label=_("counterpart office (code)"), max_length=12,
                                   required=False,
                                   widget=forms.TextInput(attrs={"list": "peer-codes"}))

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_period(self):
        try:
            return parse_period(self.cleaned_data.get("period") or current_half_year())
        except PeriodError as error:
            raise ValidationError(str(error)) from None

    def clean_counterparty(self) -> str:
        code = (self.cleaned_data.get("counterparty") or "").strip()
        if code and (not code.isdigit() or len(code) not in (6, 9, 12)):
            raise ValidationError(_("a division code has 6, 9 or 12 digits"))
        return code
