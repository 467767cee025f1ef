"""Form fields that choose a person or an org unit instead of asking for a typed number.

:class:`PersonPickerField` is a text input marked ``data-person-picker``: ``renkou.js``
turns it into a search box over ``/persons/pick/`` (:mod:`renkou.register.pickers`)
and keeps the chosen person's number in the field itself, now hidden. Without
JavaScript it stays a text box for the person number (or a full ID number). The form
resolves the value with :func:`renkou.register.pickers.resolve_person`.

:func:`bind_pickers` gives a form's picker fields what depends on the user: the units
of each :class:`~renkou.orgunits.forms.UnitChoiceField` and the label of a person
already chosen (a re-shown form, a mother set from the page).
"""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renkou.orgunits.forms import UnitChoiceField

from . import pickers
from .search import scoped_persons

__all__ = ["PersonPickerInput", "PersonPickerField", "bind_pickers", "UnitChoiceField"]

PICKER_HELP = gettext_lazy("type a name, pinyin initials (zxm), a full ID number or the person "
                           "number, then choose the person")
PARENT_HELP = gettext_lazy("type a name, pinyin initials (zxm) or the person number and choose; "
                           "a parent registered elsewhere: the full ID number")


class PersonPickerInput(forms.TextInput):
    """The text input the picker enhances; its words go in ``data-`` attributes, in the
    page's language."""

    def __init__(self, attrs=None, *, sex: str = "", parent: str = "") -> None:
        super().__init__(attrs)
        self.sex, self.parent = sex, parent

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].update({
            "data-person-picker": "",
            "data-pick-url": reverse("register:pick_person"),
            "data-sex": self.sex,
            "data-parent": self.parent,
            "data-search-label": _("name, pinyin initials or number"),
            "data-none-label": _("No person found"),
            "data-more-label": _("More persons match: type more of the name"),
            "autocomplete": "off",
        })
        return context


class PersonPickerField(forms.CharField):
    """A person, by the number the picker keeps (or a full ID number typed). ``parent``
    (``"mother"``/``"father"``) allows a parent registered outside the user's units, found
    by a full ID number (:func:`renkou.register.pickers.find_parent_outside`); ``sex``
    narrows the name search."""

    def __init__(self, *, sex: str = "", parent: str = "", **kwargs) -> None:
        kwargs.setdefault("max_length", 120)
        kwargs.setdefault("help_text", PARENT_HELP if parent else PICKER_HELP)
        kwargs.setdefault("widget", PersonPickerInput(sex=sex, parent=parent))
        super().__init__(**kwargs)
        self.sex, self.parent = sex, parent


def _chosen_label(user, value) -> str:
    text = str(value if value is not None else "").strip()
    if pickers.is_reference(text):
        return str(pickers.OUTSIDE_LABEL)
    if text.isdigit() and len(text) <= 12 and not text.startswith("0"):
        person = scoped_persons(user).select_related("registered_org").filter(pk=int(text)).first()
        if person is not None:
            return pickers.person_choice(person).label
    return ""


def bind_pickers(form: forms.BaseForm, user) -> None:
    """Fill the unit lists and the chosen persons' labels of ``form`` for ``user``."""
    for name, field in form.fields.items():
        if isinstance(field, UnitChoiceField):
            field.set_user(user)
        elif isinstance(field, PersonPickerField):
            if form.is_bound:
                value = form.data.get(form.add_prefix(name))
            else:
                value = form.initial.get(name, field.initial)
            label = _chosen_label(user, value)
            if label:
                field.widget.attrs["data-chosen"] = label
