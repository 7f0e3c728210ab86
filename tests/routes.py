"""Every URL pattern of the site as a fillable template, walked from Django's resolver, so a
test that walks them covers a new page as soon as it is routed."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass
class Template:
    """A URL pattern as a path with `{name}` holes, the converter of each hole, and the URL's
    name with its namespaces (`workflows:task`)."""

    path: str
    converters: dict[str, str] = field(default_factory=dict)
    name: str = ""

    def fill(self, values: dict[str, str]) -> str:
        return "/" + self.path.format(**{k: quote(v, safe="") for k, v in values.items()})


_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _regex_to_template(regex: str, converters: dict[str, str]) -> str:
    """`^tasks/(?P<pk>[0-9]+)/claim\\.(?P<format>[a-z]+)/?$` -> `tasks/{pk}/claim.{format}/`"""
    out, i = [], 0
    regex = regex.removeprefix("^").removesuffix("$").removesuffix("\\Z")
    while i < len(regex):
        if regex.startswith("(?P<", i):
            name = regex[i + 4 : regex.index(">", i)]
            depth, j = 0, i
            while True:
                depth += {"(": 1, ")": -1}.get(regex[j], 0)
                j += 1
                if depth == 0:
                    break
            converters[name] = "regex:" + regex[regex.index(">", i) + 1 : j - 1]
            out.append("{" + name + "}")
            i = j
        elif regex[i] == "\\":
            out.append(regex[i + 1])
            i += 2
        elif regex[i] == "?":  # an optional character: keep it
            i += 1
        else:
            out.append(regex[i])
            i += 1
    return "".join(out)


def url_templates(
    patterns=None, prefix: str = "", converters=None, namespace: str = ""
) -> Iterator[Template]:
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for pattern in patterns:
        found = dict(converters or {})
        if hasattr(pattern.pattern, "_route"):
            route = pattern.pattern._route
            for match in _ROUTE_PARAM.finditer(route):
                found[match["name"]] = match["converter"] or "str"
            part = _ROUTE_PARAM.sub(lambda m: "{" + m["name"] + "}", route)
        else:
            part = _regex_to_template(pattern.pattern._regex, found)
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from url_templates(pattern.url_patterns, prefix + part, found, inner)
        elif isinstance(pattern, URLPattern):
            yield Template(prefix + part, found, namespace + (pattern.name or ""))
