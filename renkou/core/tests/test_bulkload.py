"""Bulk-load mode keeps every guarantee of a row-by-row write."""

import pytest
from django.db import IntegrityError, connection

from renkou.core.bulkload import bulk_load, worth_bulk_mode
from renkou.orgunits.models import OrgUnit
from renkou.register.models import Household, LifeEvent, Person


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        tables = [m._meta.db_table for m in (Household, Person, LifeEvent)]
        return {
            name for t in tables
            for name, info in connection.introspection.get_constraints(cursor, t).items()
            if info["index"] or info["foreign_key"]
        }


@pytest.fixture
def village(db):
    unit = OrgUnit(code="110101001201", name="东村", kind="village", urban_rural="rural")
    unit.save()
    return unit


def insert_household(number: str, org_id: int, head_id: int | None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO register_household (household_no, address, org_id, head_id) "
                       "VALUES (%s, '', %s, %s)", [number, org_id, head_id])


@pytest.mark.django_db(transaction=True)
def test_broken_reference_fails_the_batch_and_writes_nothing(village):
    before = index_names()
    with pytest.raises(IntegrityError):
        with bulk_load((Household, Person, LifeEvent)):
            insert_household("0001", village.pk, None)
            insert_household("0002", village.pk, 999_999)  # no such person
    assert Household.objects.count() == 0
    assert index_names() == before


@pytest.mark.django_db(transaction=True)
def test_indexes_are_rebuilt_after_a_good_batch(village):
    before = index_names()
    with bulk_load((Household, Person, LifeEvent)):
        insert_household("0001", village.pk, None)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM sqlite_master WHERE type='index' "
                               "AND name = 'register_household_org_id_3052264f'")
                assert cursor.fetchone()[0] == 0  # set aside during the batch
    assert Household.objects.count() == 1
    assert index_names() == before


def test_worth_bulk_mode():
    assert worth_bulk_mode(200_000, 0)
    assert worth_bulk_mode(200_000, 400_000)
    assert not worth_bulk_mode(200_000, 1_000_000)
    assert not worth_bulk_mode(500, 0)
