"""Sessions end after the idle time; activity renews them at most every five minutes."""

import time

from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse

from renkou.accounts.models import Role, User


def test_idle_timeout_and_renewal(client, db):
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    user = User.objects.create_user("s", password="x-long-pass-2026", role=Role.COUNTY_OFFICER)
    client.force_login(user)
    key = client.session.session_key
    first_expiry = Session.objects.get(pk=key).expire_date
    client.get(reverse("register:home"))
    assert Session.objects.get(pk=key).expire_date == first_expiry  # renewed < 5 min ago
    session = client.session
    session["_renewed_at"] = int(time.time()) - 301
    session.save()
    time.sleep(1)
    client.get(reverse("register:home"))
    assert Session.objects.get(pk=key).expire_date > first_expiry
