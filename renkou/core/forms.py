"""The filters of the access log page."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from . import registry
from .models import AuditAction

__all__ = ["AuditFilterForm", "object_type_choices"]


def object_type_choices() -> list[tuple[str, str]]:
    """The object types the apps write to the log (:func:`renkou.core.registry.audit_object_types`),
    each app's together, labelled in the active language, for the filter's menu."""
    return [("", str(_("any"))),
            *((code, str(label)) for code, label in registry.audit_object_types().items())]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


#: Dates a log filter accepts (a date like 9999-12-31 has no next day to end it).
LOG_DATE_RANGE = [
    MinValueValidator(dt.date(1900, 1, 1), message=_("give a date from 1900 to 2100")),
    MaxValueValidator(dt.date(2100, 12, 31), message=_("give a date from 1900 to 2100")),
]


class AuditFilterForm(forms.Form):
    """Every field optional; an invalid value is reported and ignored."""

    username = forms.CharField(label=_("user name"), max_length=150, required=False)
    action = forms.ChoiceField(label=_("action"), required=False,
                               choices=[("", _("any")), *AuditAction.choices])
    object_type = forms.ChoiceField(label=_("object type"), required=False,
                                    choices=object_type_choices)
    object_id = forms.CharField(label=_("object id"), max_length=64, required=False,
                                help_text=_("for a person, the person number"))
    date_from = forms.DateField(label=_("from date"), required=False, widget=DateInput(),
                                validators=LOG_DATE_RANGE)
    date_to = forms.DateField(label=_("to date"), required=False, widget=DateInput(),
                              validators=LOG_DATE_RANGE)
    client_address = forms.GenericIPAddressField(label=_("client address"), required=False)
    #: how a record of another unit was read (``details["access"]`` of the entry); the
    #: health-service records log their break-the-glass reads so (DESIGN.md §1)
    access = forms.ChoiceField(label=_("kind of read"), required=False, choices=[
        ("", _("any")), ("break_glass", _("break-the-glass reads (another unit's record, with a reason)")),
        ("shared", _("reads under the person's sharing consent"))])

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("the start date is after the end date"))
        return data

    def filters(self) -> dict:
        """The valid filters, for :func:`renkou.core.services.filter_audit_entries`."""
        if not self.is_valid():
            return {}
        return {name: (value.strip() if isinstance(value, str) else value)
                for name, value in self.cleaned_data.items()}
