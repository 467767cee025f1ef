"""``renkou demo`` adds users with a public password only to a database it created itself
(issue 12, item 10)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from renkou.accounts.models import Role, User
from renkou.accounts.services import DEMO_PASSWORD, DEMO_USERNAMES
from renkou.synthetic import demo_database
from renkou.testing.factories import make_unit

pytestmark = pytest.mark.django_db


def test_the_demo_refuses_a_database_it_did_not_create():
    office = make_unit("110101000000", "东城县", "county")
    User.objects.create_user(username="wang", password="x-Renkou-2026", role=Role.COUNTY_OFFICER,
                             org=office)
    with pytest.raises(CommandError) as caught:
        call_command("demo", "--no-serve", "--persons", "50", stdout=StringIO())
    assert caught.value.returncode == 1 and "renkou demo" in str(caught.value)
    assert not User.objects.filter(username__in=DEMO_USERNAMES).exists()
    assert not demo_database.is_demo()


def test_a_blank_database_becomes_the_demos_and_an_earlier_demo_is_recognised():
    assert demo_database.is_blank() and not demo_database.is_demo()
    demo_database.mark_as_demo()
    assert demo_database.is_demo()


def test_a_database_made_by_an_earlier_demo_is_still_the_demos():
    office = make_unit("110101000000", "东城县", "county")
    User.objects.create_user(username="county", password=DEMO_PASSWORD,
                             role=Role.COUNTY_OFFICER, org=office)
    assert demo_database.is_demo()  # and is marked from now on
    User.objects.create_user(username="wang", password="x-Renkou-2026",
                             role=Role.COUNTY_OFFICER, org=office)
    assert demo_database.is_demo()
