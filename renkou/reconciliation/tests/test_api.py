"""The reconciliation API: scoped, masked, 403 for roles without register access."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.accounts.services import issue_token
from renkou.reconciliation import services

from .conftest import SURVEY_DATE


@pytest.fixture
def survey(survey_file):
    return services.import_survey(survey_file, name="2024年抽查", survey_date=SURVEY_DATE)


def _get(client, user, path):
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {issue_token(user)}")


def test_survey_rates_and_worklist(client, users, county, survey):
    surveys = _get(client, users.officer, "/api/reconciliation/surveys").json()
    assert [s["villages"] for s in surveys] == [2]
    rates = {r["code"]: r for r in _get(
        client, users.officer, f"/api/reconciliation/surveys/{survey.pk}/rates").json()}
    assert rates["110101000000"]["accuracy"]["value"] == pytest.approx(5 / 8)
    assert rates["110101001201"]["under_count"]["numerator"] == 1
    page = _get(client, users.clerk, f"/api/reconciliation/worklist?survey={survey.pk}").json()
    assert page["count"] == 4 and {i["org_code"] for i in page["items"]} == {"110101001201"}
    lxy = next(i for i in page["items"] if i["name"] == "李秀英")
    assert lxy["id_number"] != county.lxy.id_number and "*" in lxy["id_number"]
    clerk_rates = _get(client, users.clerk, f"/api/reconciliation/surveys/{survey.pk}/rates")
    assert [r["code"] for r in clerk_rates.json()] == ["110101001201"]


def test_statistician_refused_and_feedback(client, users, county):
    assert _get(client, users.statistician, "/api/reconciliation/surveys").status_code == 403
    services.create_crosscheck(org=county.county, target_area_code="330122", subject="s",
                               sent_date=dt.date(2024, 1, 1))
    rows = _get(client, users.officer, "/api/reconciliation/crosschecks/feedback?year=2024").json()
    assert rows[0]["sent"] == 1 and rows[0]["rate"]["value"] == 0
    assert _get(client, users.officer, "/api/reconciliation/surveys/999/rates").status_code == 404
