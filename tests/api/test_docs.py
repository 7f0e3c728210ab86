"""The API's schema and its Swagger UI: only for people who have signed in, and served entirely
from the service itself (drf-spectacular-sidecar) under the service's Content-Security-Policy."""

import re

from django.contrib.staticfiles import finders
from django.test import Client

from tests.config.test_headers import assert_strict_policy


def test_anonymous_gets_no_schema(db):
    response = Client().get("/api/schema/")
    assert response.status_code == 401
    assert b"/api/v1/" not in response.content


def test_anonymous_is_sent_to_sign_in_for_the_docs(db):
    for url in ("/api/docs/", "/api/docs/?script="):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/sign-in/?next=/api/docs/")


def test_the_footer_links_the_docs_only_for_signed_in_people(client, people):
    assert b"/api/docs/" not in client.get("/sign-in/").content
    client.force_login(people.referrer)
    assert b'href="/api/docs/"' in client.get("/").content


def test_signed_in_person_gets_the_schema(client, people):
    client.force_login(people.referrer)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/tasks/{id}/complete/" in response.content


def test_docs_are_served_from_the_service_itself(client, people):
    client.force_login(people.referrer)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert_strict_policy(response)
    html = response.content.decode()
    assert "<style" not in html and "style=" not in html
    references = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert len(references) == 6, references
    for reference in references:
        assert reference.startswith("/"), reference
        assert not reference.startswith("//"), reference
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.I)
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert len(scripts) == 3 and all(body.strip() == "" for _, body in scripts)

    static = [r.removeprefix("/static/") for r in references if r.startswith("/static/")]
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in static
    assert all(finders.find(name) for name in static), static

    # The start-up script is its own same-origin file, pointing Swagger UI at our schema.
    script_url = next(r for r in references if "script" in r and not r.startswith("/static/"))
    script = client.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert '  url: "/api/schema/",' in script.content.decode().splitlines()
