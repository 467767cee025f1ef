"""An indicators file written by an older renkou (its table lacks a column this version
reads) is read as not computed, with the reason, until the next refresh: no page fails."""

from __future__ import annotations

import duckdb
import pytest

from renkou.analytics import store
from renkou.analytics.schema import INDICATOR_VALUES_DDL


@pytest.fixture
def older_file(settings, tmp_path):
    settings.RENKOU_ANALYTICS_DIR = tmp_path
    con = duckdb.connect(str(tmp_path / "indicators.duckdb"))
    con.execute(INDICATOR_VALUES_DDL)
    con.execute("ALTER TABLE indicator_values DROP COLUMN origin_province")
    con.close()


def test_an_older_file_is_outdated_and_says_so(older_file):
    with pytest.raises(store.OutdatedIndicators) as outdated:
        store.connect()
    assert "refresh" in str(outdated.value)
    assert isinstance(outdated.value, store.NoIndicators)


def test_the_pages_read_it_as_not_computed(older_file, officer_client):
    home = officer_client.get("/")
    assert home.status_code == 200
    assert "旧版本" in home.content.decode()
    assert officer_client.get("/stats/").status_code == 200
