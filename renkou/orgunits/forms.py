"""The org-unit field of every form that asks for a unit (move destination, enrolment
unit, export, screening and report filters).

A ``<select>`` of the units the user may see, in tree order (county → township →
village), each option carrying its parent's code: without JavaScript it is an ordinary
drop-down list, indented by level; ``renkou.js`` turns a select marked
``data-unit-tree`` into an expandable tree with a filter box. The value is the division
code, as the forms had it when it was typed: the form still resolves it within the
user's subtree and names a code it does not find.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import OrgUnit

__all__ = ["UnitTreeSelect", "UnitChoiceField", "unit_options"]

#: An ideographic space: the drop-down list's indentation per level.
INDENT = "\u3000"


def unit_options(user) -> list[tuple[str, str, str]]:
    """``(code, name, parent code)`` of the units ``user`` may see, in tree order (a parent
    before its children); the parent code is empty for the top of the user's tree."""
    units = list(OrgUnit.objects.visible_to(user).select_related("parent").order_by("path"))
    codes = {u.code for u in units}
    return [(u.code, u.name, u.parent.code if u.parent and u.parent.code in codes else "")
            for u in units]


class UnitTreeSelect(forms.Select):
    """A ``<select>`` whose options know their parents (``data-parent``), marked for the
    tree widget of ``renkou.js`` (``data-unit-tree``), with its words in the page's
    language."""

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs)
        self.parents: dict[str, str] = {}
        self.names: dict[str, str] = {}

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].update({
            "data-unit-tree": "",
            "data-filter-label": _("Filter units: name or code"),
            "data-none-label": _("No unit matches"),
            "data-expand-label": _("show the units below"),
        })
        return context

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        code = str(value or "")
        if code in self.names:
            option["attrs"]["data-parent"] = self.parents.get(code, "")
            option["attrs"]["data-name"] = self.names[code]
        return option


class UnitChoiceField(forms.ChoiceField):
    """An org unit by its division code, chosen from the user's units
    (:meth:`set_user` fills the list). The value is the code as sent, stripped: whether
    the user may use it is the form's to say (it resolves the code within the user's
    subtree), so an unknown code gets the form's own message, not a generic one."""

    widget = UnitTreeSelect

    def __init__(self, *, blank_label=None, **kwargs) -> None:
        kwargs.setdefault("choices", ())
        super().__init__(**kwargs)
        self.blank_label = blank_label

    def set_user(self, user) -> None:
        """List ``user``'s units; read when the list is first needed (a form that is only
        validated, or a page that does not show it, asks nothing of the database)."""
        widget: UnitTreeSelect = self.widget  # type: ignore[assignment]
        loaded: list[tuple[str, str]] = []

        def choices() -> list[tuple[str, str]]:
            if loaded:
                return loaded
            options = unit_options(user)
            depth: dict[str, int] = {}
            # a required field has it too, so that nothing is chosen until the user does
            loaded.append(("", str(self.blank_label or gettext_lazy("—"))))
            for code, name, parent in options:
                depth[code] = depth[parent] + 1 if parent else 0
                loaded.append((code, f"{INDENT * depth[code]}{name}（{code}）"))
            widget.parents = {code: parent for code, _name, parent in options}
            widget.names = {code: name for code, name, _parent in options}
            return loaded

        self.choices = choices

    def to_python(self, value) -> str:
        return (super().to_python(value) or "").strip()

    def validate(self, value) -> None:
        forms.Field.validate(self, value)  # required only; the form resolves the code
