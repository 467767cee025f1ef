"""The forms of the account pages: a new user, an officer's password reset, one's own
password, a new API token. They read and check what was typed; the rules (subtree, the
roles one may grant, the password rules) are the services' (:mod:`.services`), whose
refusals the views put back on the form (:func:`renkou.register.forms.attach_errors`)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from renkou.orgunits.forms import UnitChoiceField

from .roles import Role

__all__ = ["UserCreateForm", "PasswordResetForm", "OwnPasswordForm", "TokenForm"]

_NEW_PASSWORD = {"autocomplete": "new-password"}


class UserCreateForm(forms.Form):
    """新建用户: who the user is, what it does and where, and a first password that it
    must change at its first log-in."""

    required_css_class = "required"

    username = forms.CharField(label=_("username"), max_length=150,
                               validators=[UnicodeUsernameValidator()],
                               help_text=_("used to log in: letters, digits and @ . + - _"))
    full_name = forms.CharField(label=_("full name"), max_length=150)
    role = forms.ChoiceField(label=_("role"), choices=[("", "—"), *Role.choices],
                             help_text=_("you may grant only roles that can do nothing your own "
                                         "role cannot"))
    org = UnitChoiceField(label=_("unit"), help_text=_("your own unit or a unit below it"))
    password = forms.CharField(label=_("initial password"), strip=False,
                               widget=forms.PasswordInput(attrs=_NEW_PASSWORD),
                               help_text=_("tell it to the user; it must choose its own password "
                                           "at its first log-in"))

    def __init__(self, *args, manager, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["org"].set_user(manager)  # type: ignore[attr-defined]


class PasswordResetForm(forms.Form):
    """重置密码: an officer gives the user a temporary password."""

    required_css_class = "required"

    password = forms.CharField(label=_("temporary password"), strip=False,
                               widget=forms.PasswordInput(attrs=_NEW_PASSWORD),
                               help_text=_("tell it to the user; it must choose its own password "
                                           "at its next log-in"))

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class OwnPasswordForm(PasswordChangeForm):
    """修改密码: the old password, and the new one twice (Django's form). The password
    rules are left to :func:`renkou.accounts.services.change_own_password`, which says
    what is wrong in plain words."""

    required_css_class = "required"

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = _(
            "at least 8 characters, not only digits, not a common password and not like your "
            "username")
        self.fields["new_password2"].help_text = ""

    def validate_password_for_user(self, user, password_field_name="password2") -> None:
        """Checked by the service instead (one home for the rule)."""


class TokenForm(forms.Form):
    """新建 API 令牌: what the token is for (to tell one's tokens apart)."""

    name = forms.CharField(label=_("what the token is for"), max_length=100, required=False,
                           help_text=_("for example: the monthly report script"))

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
