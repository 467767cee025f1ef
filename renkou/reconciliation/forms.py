"""Forms of the reconciliation pages: uploads, working a worklist item, cross-checks."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from renkou.register.identity import mask_id_number
from renkou.register.picker_fields import PersonPickerField, UnitChoiceField, bind_pickers
from renkou.register.pickers import resolve_person

from .models import DiscrepancyKind, WorkStatus

__all__ = ["WorkItemForm", "CrossCheckForm", "ReplyForm",
           "WorklistFilterForm"]

DATE = forms.DateInput(attrs={"type": "date"})


class WorkItemForm(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=WorkStatus.choices)
    comment = forms.CharField(label=_("comment"), max_length=300, required=False)


class WorklistFilterForm(forms.Form):
    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        bind_pickers(self, user)

    status = forms.ChoiceField(label=_("status"), required=False,
                               choices=[("", _("all"))] + list(WorkStatus.choices))
    kind = forms.ChoiceField(label=_("kind"), required=False,
                             choices=[("", _("all"))] + list(DiscrepancyKind.choices))
    org = UnitChoiceField(label=_("org unit"), required=False)


class CrossCheckForm(forms.Form):
    """协查: the request's subject is a person of the user's units chosen with the picker
    (named by name and masked ID number, as the automatic requests are), a text, or both."""

    target_area_code = forms.CharField(label=_("target area code"), max_length=12)
    person = PersonPickerField(label=_("person"), required=False)
    subject = forms.CharField(label=_("subject"), max_length=200, required=False)
    sent_date = forms.DateField(label=_("sent on"), widget=DATE)
    due_date = forms.DateField(label=_("due on"), required=False, widget=DATE)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        bind_pickers(self, user)

    def clean_person(self):
        return resolve_person(self.user, self.cleaned_data.get("person"))

    def request_fields(self) -> dict:
        """What :func:`renkou.reconciliation.services.create_crosscheck` takes."""
        d = self.cleaned_data
        subject = (d.get("subject") or "").strip()
        person = d.get("person")
        if person is not None:
            named = f"{person.name} {mask_id_number(person.id_number)}".strip()
            subject = f"{named}：{subject}" if subject else named
        return {"target_area_code": d["target_area_code"], "subject": subject,
                "sent_date": d["sent_date"], "due_date": d.get("due_date")}


class ReplyForm(forms.Form):
    feedback_date = forms.DateField(label=_("answered on"), widget=DATE)
    result = forms.CharField(label=_("result"), max_length=300)
