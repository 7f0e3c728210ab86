"""The site's answer to a failure: a 503 that says "try again" when the database could not be
reached, the GOV.UK 500 page otherwise; JSON under /api/. The real outage, a PostgreSQL killed
and restarted under load, is tests/integration/test_database_faults.py."""

import json

import pytest
from django.db import InterfaceError, OperationalError

from config.views import UNAVAILABLE_MESSAGE, server_error


def _answer(rf, path: str, failure: Exception):
    try:
        raise failure
    except Exception:  # noqa: BLE001 - Django calls handler500 inside its except block
        return server_error(rf.get(path))


@pytest.mark.parametrize("failure", [OperationalError("refused"), InterfaceError("closed")])
def test_the_database_out_of_reach_is_a_503_saying_try_again(rf, failure):
    page = _answer(rf, "/tasks/", failure)
    assert page.status_code == 503 and page["Retry-After"] == "30"
    html = page.content.decode()
    assert "Sorry, the service is unavailable" in html
    assert "It will not be submitted twice" in html
    api = _answer(rf, "/api/v1/cases/", failure)
    assert api.status_code == 503 and api["Retry-After"] == "30"
    assert json.loads(api.content) == {"detail": UNAVAILABLE_MESSAGE}


def test_any_other_failure_is_the_500_page(rf):
    page = _answer(rf, "/tasks/", ValueError("a defect"))
    assert page.status_code == 500 and "Retry-After" not in page
    assert "Sorry, there is a problem with the service" in page.content.decode()
    api = _answer(rf, "/api/v1/cases/", ValueError("a defect"))
    assert api.status_code == 500
    assert json.loads(api.content) == {"detail": "Sorry, there is a problem with the service."}
