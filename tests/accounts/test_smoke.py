import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_home_requires_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_sign_in_page_renders_govuk_form(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"govuk-input" in response.content
