"""Security headers on every page: a Content-Security-Policy with no inline script or style, the
Permissions-Policy, Referrer-Policy and Cross-Origin-Opener-Policy; and templates that keep to
that policy (no inline script or style to be blocked)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import include, path

from tests.cases import open_task

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def _boom(request):
    raise RuntimeError("a page that fails, to draw the 500 page")


# This module is also a URLconf (pytest.mark.urls) adding a page that fails.
urlpatterns = [path("boom/", _boom), path("", include("config.urls"))]


def _policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict_policy(response) -> None:
    """The policy that every page carries: our own origin only, nothing inline or evaluated."""
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["font-src"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    header = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    assert "unsafe-hashes" not in header
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    features = dict(
        item.split("=", 1) for item in response.headers["Permissions-Policy"].split(", ")
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics"):
        assert features[feature] == "()", feature


@pytest.mark.parametrize(
    "url",
    [
        "/sign-in/",
        "/complaints/",
        "/complaints/new/",
        "/no-such-page/",
        "/healthz",
        "/admin/login/",
    ],
)
def test_public_pages_carry_the_policy(client, db, url):
    response = client.get(url)
    assert response.status_code in (200, 404)
    assert_strict_policy(response)


def test_pages_of_a_case_carry_the_policy(client, people, referral):
    task = open_task(referral, "police_acknowledge")
    pages = {
        people.police: ["/", "/tasks/", f"/cases/{referral.public_id}/", f"/tasks/{task.pk}/"],
        people.adviser: ["/queue/", f"/cases/{referral.public_id}/"],
    }
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert_strict_policy(response)


def test_refusal_page_carries_the_policy(client, people, referral):
    client.force_login(people.other_referrer)
    response = client.get("/compliance/audit/")
    assert response.status_code == 403
    assert b"You cannot do this" in response.content
    assert_strict_policy(response)


@pytest.mark.urls(__name__)
def test_error_page_carries_the_policy(client, db):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert b"Sorry, there is a problem with the service" in response.content
    assert_strict_policy(response)


def test_sign_in_after_posting_carries_the_policy(client, people):
    response = client.post("/sign-in/", {"username": people.police.email, "password": "wrong"})
    assert response.status_code == 200
    assert_strict_policy(response)
    response = client.post("/sign-in/", {"username": people.police.email, "password": "x" * 12})
    assert response.status_code == 302
    assert_strict_policy(response)


def test_the_case_diagram_has_no_inline_style(client, people, referral):
    client.force_login(people.adviser)
    page = client.get(f"/cases/{referral.public_id}/").content.decode()
    start = page.index('role="img" aria-labelledby="diagram-title')
    diagram = page[start : page.index("</svg>", start)]
    assert 'id="diagram-police_acknowledge"' in diagram
    assert "<style" not in diagram and "style=" not in diagram
    assert "app/workflows.css" in page


# --- Templates keep to the policy --------------------------------------------------------------

COMMENT = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}|<!--.*?-->", re.S)
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
STYLE_ATTRIBUTE = re.compile(r"""\sstyle\s*=\s*["']""", re.I)
EVENT_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I)
JAVASCRIPT_URL = re.compile(r"""=\s*["']\s*javascript:""", re.I)


def _templates() -> list[Path]:
    found = sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".svg", ".txt"))
    assert len(found) > 40
    return found


def test_no_template_has_inline_script_or_style():
    """Every script comes from a file (src=), and no template has a <style> element, a style
    attribute, an on...= handler or a javascript: URL: all would be blocked by the policy, so a
    page would quietly lose its look or behaviour. No exception is needed: none is allowed."""
    problems = []
    for template in _templates():
        text = COMMENT.sub("", template.read_text())
        name = template.relative_to(TEMPLATES)
        for attributes, body in SCRIPT.findall(text):
            if body.strip() or "src=" not in attributes:
                problems.append(f"{name}: inline <script{attributes}>")
        for pattern, what in (
            (STYLE_ELEMENT, "<style> element"),
            (STYLE_ATTRIBUTE, "style= attribute"),
            (EVENT_HANDLER, "on...= event handler"),
            (JAVASCRIPT_URL, "javascript: URL"),
        ):
            if pattern.search(text):
                problems.append(f"{name}: {what}")
    assert problems == []


def test_the_scan_finds_what_it_looks_for(tmp_path):
    """The patterns above catch each kind of inline code (so the scan cannot pass vacuously)."""
    samples = {
        "<script>alert(1)</script>": SCRIPT,
        '<div style="color: red">': STYLE_ATTRIBUTE,
        "<style>p {}</style>": STYLE_ELEMENT,
        '<a onclick="go()">': EVENT_HANDLER,
        '<a href="javascript:go()">': JAVASCRIPT_URL,
    }
    for sample, pattern in samples.items():
        assert pattern.search(sample), sample
    assert SCRIPT.findall('<script type="module" src="/static/app/init.js"></script>') == [
        (' type="module" src="/static/app/init.js"', "")
    ]
    assert not COMMENT.sub("", "{% comment %}<style>{% endcomment %}").strip()


def test_every_static_file_a_template_names_exists():
    """A page's scripts and styles are files under static/: a missing one would fail quietly."""
    names = set()
    for template in _templates():
        names.update(re.findall(r"""{%\s*static\s+['"]([^'"]+)['"]\s*%}""", template.read_text()))
    assert "app/supported.js" in names and "app/workflows.css" in names
    missing = [name for name in sorted(names) if not finders.find(name)]
    assert missing == []
