"""Forms of the benefit pages: input checking only; the work is in the benefit functions
(:mod:`.screening`, :mod:`.workflow`, :mod:`.rosters` and the others the views call)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from renkou.core import clock
from renkou.register.models import Person
from renkou.register.picker_fields import PersonPickerField, UnitChoiceField, bind_pickers
from renkou.register.pickers import resolve_person

from .programmes import programmes


def _programme_choices() -> list[tuple[str, str]]:
    return [(code, p.label) for code, p in programmes().items()]


def _last_year() -> int:
    return clock.today().year - 1


class _UserForm(forms.Form):
    """A form whose pickers list what the user may see (:func:`bind_pickers`)."""

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        bind_pickers(self, user)


class ScreenForm(_UserForm):
    programme = forms.ChoiceField(label=_("programme"), choices=_programme_choices)
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100, initial=_last_year)
    org = UnitChoiceField(label=_("org unit"), required=False)


class WalkInForm(_UserForm):
    person_id = PersonPickerField(label=_("person"))
    programme = forms.ChoiceField(label=_("programme"), choices=_programme_choices)
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100, initial=_last_year)
    rate = forms.CharField(label=_("rate"), required=False, initial="default",
                           help_text=_("default, or death / disability for special assistance"))
    children_complete = forms.CharField(
        label=_("attested: the children's situation (facts before records began)"),
        required=False, max_length=200)
    disability_grade = forms.ChoiceField(
        label=_("attested: the child's disability grade"), required=False,
        choices=[("", "—"), ("1", "1"), ("2", "2"), ("3", "3")])
    comment = forms.CharField(label=_("comment"), required=False, widget=forms.Textarea(
        attrs={"rows": 2}))

    def clean_person_id(self) -> Person | None:
        return resolve_person(self.user, self.cleaned_data.get("person_id"))

    def attestations(self) -> dict[str, str]:
        return {k: self.cleaned_data.get(k) or "" for k in ("children_complete", "disability_grade")}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("decision"), widget=forms.RadioSelect,
                                 choices=[("pass", _("pass")), ("reject", _("reject"))])
    comment = forms.CharField(label=_("comment"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    attachment = forms.FileField(label=_("attachment"), required=False)

    def clean_attachment(self):
        f = self.cleaned_data.get("attachment")
        if f is not None and f.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("an attachment may be at most 5 MB"))
        return f


class BankForm(forms.Form):
    payee_name = forms.CharField(label=_("account holder"), max_length=50)
    bank_name = forms.CharField(label=_("bank"), max_length=60)
    bank_account = forms.CharField(label=_("bank account number"), max_length=40)


class NoticeForm(forms.Form):
    programme = forms.ChoiceField(label=_("programme"), choices=_programme_choices)
    starts_on = forms.DateField(label=_("starts on"), initial=clock.today)
    days = forms.IntegerField(label=_("days"), min_value=1, max_value=60, required=False,
                              help_text=_("default: the programme's notice period"))


class ObjectionForm(forms.Form):
    application = forms.IntegerField(label=_("application"), min_value=1)
    received_on = forms.DateField(label=_("received on"), initial=clock.today)
    text = forms.CharField(label=_("objection"), widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(label=_("resolution"), widget=forms.RadioSelect,
                                   choices=[("dismissed", _("dismissed")), ("upheld", _("upheld"))])
    comment = forms.CharField(label=_("comment"), widget=forms.Textarea(attrs={"rows": 2}))


class RosterForm(forms.Form):
    programme = forms.ChoiceField(label=_("programme"), choices=_programme_choices)
    period = forms.CharField(label=_("period"), max_length=7,
                             help_text=_("2025 for a yearly programme, 2025-03 for a monthly one"))


class PaidForm(forms.Form):
    paid_on = forms.DateField(label=_("paid on"), initial=clock.today)


class RequalifyForm(forms.Form):
    programme = forms.ChoiceField(label=_("programme"), choices=_programme_choices)
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100,
                              initial=lambda: clock.today().year)


class VersionForm(forms.Form):
    effective_from = forms.DateField(label=_("effective from"))
    org_prefix = forms.CharField(label=_("division-code prefix"), required=False, max_length=15,
                                 help_text=_("empty: everywhere; 340621: one county"))
    rate = forms.CharField(label=_("rate"), initial="default", max_length=20)
    amount = forms.DecimalField(label=_("amount (yuan)"), min_value=0, max_digits=10,
                                decimal_places=2)
    note = forms.CharField(label=_("note"), required=False, max_length=200)


class FiguresForm(_UserForm):
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100, initial=_last_year)
    org = UnitChoiceField(label=_("org unit"), required=False)
