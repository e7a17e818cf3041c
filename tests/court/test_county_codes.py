"""A court case's county code is checked against the region profile (issue 14, point 9): a code
the profile lists as no longer in use is refused naming its successor, an unknown one is refused.
The registry runs on a test profile: Huzhou's plus a fictional county 330599 retired on 2020-01-01."""

from __future__ import annotations

import pytest

from sinkledger import catalogue
from sinkledger.config import load_settings
from tests.court.conftest import CASE_NO, register_case
from tests.sinks.test_regions import with_retired_county


@pytest.fixture
def settings(backend_url, tmp_path):  # type: ignore[no-untyped-def]
    folder = tmp_path / "profile"
    folder.mkdir()
    return load_settings({"DATABASE_URL": backend_url, "SINKLEDGER_HOME": str(tmp_path),
                          "SINKLEDGER_REGION": str(with_retired_county(folder))})


@pytest.mark.parametrize("county_code, code", [("330599", "county_code_retired"), ("430204", "county_code_unknown")])
def test_a_case_in_a_retired_or_foreign_county_is_refused(court, county_code, code):  # type: ignore[no-untyped-def]
    from sinkledger_base.errors import InvalidInput

    with pytest.raises(InvalidInput) as refusal:
        register_case(court, county_code=county_code)
    assert refusal.value.code == code
    assert refusal.value.params["value"] == county_code
    if code == "county_code_retired":
        assert refusal.value.params["successor_code"] == "330523" and "330523" in catalogue.messages(refusal.value)[0]
    assert court.cases(court.service.actor("judge")) == []


def test_a_case_in_a_county_in_use_is_registered(court):  # type: ignore[no-untyped-def]
    case = register_case(court, county_code="330523")
    assert case["case_no"] == CASE_NO and case["county_code"] == "330523"
