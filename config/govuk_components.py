"""GOV.UK components rendered from one compiled template each, not recompiled on every use.

govuk-frontend-django (0.22.0, the newest release) renders every component — each field,
button, summary list and the header and footer of every page — by building a new Jinja
`Environment` and compiling the component's macro from source (`GovUKComponent.render` calls
`Environment(...).from_string(...)`). Compiling is most of the cost: measured on the
referral declaration page, a quarter of a submission's server time went to Jinja's compiler.

`install()` replaces that one method with the same rendering through one shared environment
(the same loader and autoescaping) and a cache of the compiled template per component macro,
so each macro is compiled once per process. The data passed to the macro is prepared exactly
as the library does (`None` values dropped at every level). Installed once, from
accounts/apps.py, and idempotent; tests/accounts/test_govuk_components.py compares the output
with the library's own rendering.
"""

import functools
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from govuk_frontend_django.components.base import GovUKComponent
from jinja2 import (
    ChoiceLoader,
    Environment,
    PackageLoader,
    PrefixLoader,
    Template,
    select_autoescape,
)

_MARK = "_prevent_compiled_once"
library_render = GovUKComponent.render  # kept for the test that compares the two renderings


@functools.cache
def _environment() -> Environment:
    loader = ChoiceLoader(
        [PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")})]
    )
    return Environment(loader=loader, autoescape=select_autoescape())


@functools.lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    return _environment().from_string(source)


def _drop_none(value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            _drop_none(item)
    elif isinstance(value, dict):
        for key, item in list(value.items()):
            if item is None:
                del value[key]
            elif isinstance(item, dict | list):
                _drop_none(item)


def render(
    self: GovUKComponent, template_name=None, context=None, renderer=None, component_data=None
) -> SafeString:
    """The library's `GovUKComponent.render`, with the compiled macro taken from the cache."""
    template = _compiled(self.build_jinja_template())
    data = self.__dict__.copy()
    if component_data:
        data.update(component_data)
    _drop_none(data)
    # Jinja autoescapes the component data, as upstream does.
    return mark_safe(template.render(data=data))  # noqa: S308  # nosec B308 B703


setattr(render, _MARK, True)


def install() -> None:
    """Route every component's rendering through the cache (idempotent)."""
    if getattr(GovUKComponent.render, _MARK, False):
        return
    GovUKComponent.render = render
    GovUKComponent.__str__ = render
    GovUKComponent.__html__ = render
