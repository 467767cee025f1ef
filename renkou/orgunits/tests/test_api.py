"""Org units in the JSON API: scoped by subtree, readable by statisticians, not by auditors."""

from __future__ import annotations

import pytest

from renkou.accounts.models import Role, User
from renkou.accounts.services import issue_token
from renkou.orgunits.models import OrgKind, OrgUnit, UrbanRural


@pytest.fixture
def tree(db):
    county = OrgUnit.objects.create(code="110101000000", name="东城县", kind=OrgKind.COUNTY,
                                    urban_rural=UrbanRural.URBAN)
    town = OrgUnit.objects.create(code="110101001000", name="和平镇", kind=OrgKind.TOWN,
                                  parent=county, urban_rural=UrbanRural.RURAL)
    village = OrgUnit.objects.create(code="110101001201", name="东村", kind=OrgKind.VILLAGE,
                                     parent=town, urban_rural=UrbanRural.RURAL)
    street = OrgUnit.objects.create(code="110101002000", name="城关街道", kind=OrgKind.STREET,
                                    parent=county, urban_rural=UrbanRural.URBAN)
    return county, town, village, street


def _get(client, path: str, role: str, org: OrgUnit):
    user, _ = User.objects.get_or_create(username=f"u-{role}-{org.code}",
                                         defaults={"role": role, "org": org})
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {issue_token(user)}")


def test_list_is_limited_to_the_subtree(client, tree):
    county, town, village, street = tree
    data = _get(client, "/api/orgunits", Role.TOWNSHIP_OFFICER, town).json()
    assert [u["code"] for u in data["items"]] == [town.code, village.code]
    assert data["items"][1] == {"code": village.code, "name": "东村", "kind": "village", "level": 3,
                                "parent_code": town.code, "urban_rural": "rural",
                                "path": village.path}


def test_parent_and_level_filters(client, tree):
    county, town, village, street = tree
    data = _get(client, f"/api/orgunits?parent={county.code}", Role.COUNTY_OFFICER, county).json()
    assert [u["code"] for u in data["items"]] == [town.code, street.code]
    data = _get(client, "/api/orgunits?level=3", Role.STATISTICIAN, county).json()
    assert [u["code"] for u in data["items"]] == [village.code]


def test_detail_with_children_and_residents(client, tree):
    county, town, village, street = tree
    response = _get(client, f"/api/orgunits/{town.code}", Role.STATISTICIAN, town)
    assert response.status_code == 200
    data = response.json()
    assert (data["name"], data["residents"]) == ("和平镇", 0)
    assert [c["code"] for c in data["children"]] == [village.code]


def test_outside_the_subtree_answers_404(client, tree):
    county, town, village, street = tree
    assert _get(client, f"/api/orgunits/{street.code}", Role.VILLAGE_CLERK, village).status_code == 404
    assert _get(client, f"/api/orgunits/{county.code}", Role.VILLAGE_CLERK, village).status_code == 404
    assert _get(client, f"/api/orgunits?parent={street.code}", Role.TOWNSHIP_OFFICER,
                town).status_code == 404
    assert _get(client, "/api/orgunits/999999999999", Role.COUNTY_OFFICER, county).status_code == 404


def test_auditor_answers_403_and_no_token_401(client, tree):
    county = tree[0]
    assert _get(client, "/api/orgunits", Role.AUDITOR, county).status_code == 403
    assert client.get("/api/orgunits").status_code == 401


def test_bad_code_answers_422(client, tree):
    county = tree[0]
    response = _get(client, "/api/orgunits/abc", Role.COUNTY_OFFICER, county)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "code"
