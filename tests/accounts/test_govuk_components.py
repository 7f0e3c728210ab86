"""GOV.UK components compile once per process and render exactly as the library does."""

import re

import pytest
from govuk_frontend_django.components.base import GovUKComponent
from govuk_frontend_django.components.button import COMPONENT as Button
from govuk_frontend_django.components.header import COMPONENT as Header
from govuk_frontend_django.components.tag import COMPONENT as Tag
from govuk_frontend_django.components.warning_text import COMPONENT as WarningText

from config import govuk_components

VARYING = re.compile(r'(name="csrfmiddlewaretoken" value|nonce)="[^"]*"')


def _library(component: GovUKComponent) -> str:
    return govuk_components.library_render(component)


@pytest.mark.parametrize(
    "component",
    [
        Header(homepageUrl="/"),
        Button(text="Save and continue", attributes={"data-module": "govuk-button"}),
        Tag(text="<b>Overdue</b>", classes="govuk-tag--red"),
        WarningText(text="You must not share this case"),
    ],
    ids=["header", "button", "tag-escaped", "warning-text"],
)
def test_a_component_renders_as_the_library_renders_it(component):
    assert govuk_components.render(component) == _library(component)
    assert str(component) == _library(component)


def test_text_stays_escaped():
    html = str(Tag(text="<script>alert(1)</script>"))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_the_rendering_is_installed_and_compiles_each_macro_once():
    assert GovUKComponent.render is govuk_components.render
    govuk_components._compiled.cache_clear()
    for _ in range(3):
        str(Header(homepageUrl="/"))
    info = govuk_components._compiled.cache_info()
    assert (info.misses, info.hits) == (1, 2)


@pytest.mark.django_db
def test_a_whole_page_is_the_same_either_way(client, monkeypatch):
    ours = client.get("/sign-in/")
    monkeypatch.setattr(GovUKComponent, "render", govuk_components.library_render)
    monkeypatch.setattr(GovUKComponent, "__str__", govuk_components.library_render)
    monkeypatch.setattr(GovUKComponent, "__html__", govuk_components.library_render)
    theirs = client.get("/sign-in/")
    assert ours.status_code == theirs.status_code == 200
    assert "govuk-header" in ours.content.decode()
    assert VARYING.sub("", ours.content.decode()) == VARYING.sub("", theirs.content.decode())


def test_installing_twice_changes_nothing():
    govuk_components.install()
    assert GovUKComponent.render is govuk_components.render
