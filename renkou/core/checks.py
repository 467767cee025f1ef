"""System checks of a deployment (``renkou check --deploy``).

Django's own deploy checks accept renkou's built-in development key (it is long and
varied); a site serving real persons must not run with a key anyone can read in the
source, which would let them forge sessions and password-reset links.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.utils.translation import gettext as _

__all__ = ["uses_development_key", "development_key_check"]


def uses_development_key() -> bool:
    return settings.SECRET_KEY == settings.RENKOU_DEVELOPMENT_SECRET_KEY


@register(Tags.security, deploy=True)
def development_key_check(app_configs=None, **kwargs) -> list[Error]:
    if not uses_development_key():
        return []
    return [Error(_("the built-in development secret key is in use"),
                  hint=_("set RENKOU_SECRET_KEY to a long random value (e.g. python -c "
                         "\"import secrets; print(secrets.token_urlsafe(50))\") before "
                         "serving real data"), id="renkou.E001")]
