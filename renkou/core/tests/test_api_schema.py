"""Schemathesis against the live OpenAPI schema: no request the schema allows (or breaks)
makes the API answer with a server error, and every answer is one the schema documents
(status code, content type, body schema).

The schema is read from ``/api/openapi.json`` of the WSGI application in-process; each
operation becomes one test whose generated requests carry a township officer's token
over a small register. ``transaction=True``: the requests go through the whole WSGI
stack, which closes the database connection after each request, so the fixture data
must be committed (the test database is emptied after each test, on SQLite and
PostgreSQL alike).
"""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from renkou.accounts.models import Role, User
from renkou.accounts.services import issue_token
from renkou.orgunits.models import OrgKind, OrgUnit, UrbanRural
from renkou.register import services
from renkou.register.models import Household, HukouType, MaritalStatus, Relationship, Sex
from renkou.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)

#: Generated requests per operation and phase (about 1,000 requests in all, positive and
#: negative, about 10 s on SQLite and 30 s on PostgreSQL on two cores).
MAX_EXAMPLES = 25


def _unit(code: str, name: str, kind: str, parent: OrgUnit | None) -> OrgUnit:
    return OrgUnit.objects.create(code=code, name=name, kind=kind, parent=parent,
                                  urban_rural=UrbanRural.RURAL)


@pytest.fixture
def officer_token(transactional_db) -> str:
    """A township officer's token over a county with two townships and a few persons."""
    county = _unit("110101000000", "东城县", OrgKind.COUNTY, None)
    town = _unit("110101001000", "和平镇", OrgKind.TOWN, county)
    village = _unit("110101001201", "东村", OrgKind.VILLAGE, town)
    other = _unit("110101002000", "城关街道", OrgKind.STREET, county)
    household = Household.objects.create(household_no="0010001", org=village, address="东村1组")
    common = {"event_date": dt.date(2020, 1, 1), "hukou_type": HukouType.RURAL}
    head = services.enrol_person(name="张晓明", sex=Sex.MALE, birth_date=dt.date(1990, 3, 7),
                                 org=village, household=household, relationship=Relationship.HEAD,
                                 marital_status=MaritalStatus.MARRIED, **common)
    services.enrol_person(name="李秀英", sex=Sex.FEMALE, birth_date=dt.date(1992, 5, 10),
                          org=village, household=household, relationship=Relationship.SPOUSE,
                          marital_status=MaritalStatus.MARRIED, **common)
    services.enrol_person(name="王芳", sex=Sex.FEMALE, birth_date=dt.date(1995, 8, 1),
                          org=other, **common)
    household.head = head
    household.save(update_fields=["head"])
    # a second registration of 张晓明 (a homophone, no ID number), so that the quality
    # findings, the scorecard and the duplicate queue answer with data, not empty lists
    services.enrol_person(name="张小明", sex=Sex.MALE, birth_date=dt.date(1990, 3, 7),
                          org=village, **common)
    from renkou.dedupe.services import run_detection
    from renkou.quality.scorecard import compute_scorecard
    from renkou.quality.services import run_checks

    run_checks()
    compute_scorecard()
    run_detection()
    officer = User.objects.create(username="township", role=Role.TOWNSHIP_OFFICER, org=town)
    return issue_token(officer, "schemathesis")


@pytest.fixture
def auditor_token(officer_token) -> str:
    """A county auditor's token, over the same register and its log."""
    auditor = User.objects.create(username="auditor", role=Role.AUDITOR,
                                  org=OrgUnit.objects.get(code="110101000000"))
    return issue_token(auditor, "schemathesis")


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


# reset_sequences: person 1 and household 1 exist, as in the schema's examples
@pytest.mark.django_db(transaction=True, reset_sequences=True)
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_answers_without_server_errors(case, officer_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {officer_token}"}, checks=CHECKS)


@pytest.mark.django_db(transaction=True, reset_sequences=True)
@schema.include(path="/api/audit").parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_audit_api_answers_without_server_errors(case, auditor_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {auditor_token}"}, checks=CHECKS)
