"""The project's modules import in one direction, with no cycles and no import hidden inside a
function: settings/core → audit → regions/accounts → referrals → task engine → processes →
API and pages (DESIGN.md §4)."""

import ast
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [
    "accounts",
    "api",
    "compliance",
    "config",
    "notifications",
    "referrals",
    "regions",
    "workflows",
]

# Modules that sit on top whatever package they are in: pages, URLs, admin, demo data,
# Celery entry points, management commands, the app registry's hooks.
TOP_MODULE_NAMES = {"views", "urls", "admin", "demo", "tasks", "apps", "management", "templatetags"}
TOP_MODULES = {
    "api",
    "config.urls",
    "config.celery",
    "config.wsgi",
    "config.asgi",
    "config.settings",
}
# Lower number = lower layer. A module may import its own layer or any lower one.
LAYERS = [
    (0, ["config"]),
    (1, ["compliance.audit", "compliance.models", "compliance.triggers"]),
    (2, ["accounts", "regions", "notifications"]),
    (3, ["compliance"]),  # break-glass and reads of case content, below every case page
    (4, ["referrals"]),
    (5, ["workflows.engine"]),
    (6, ["workflows.channel", "workflows.complaint"]),
    (7, ["workflows.referral"]),  # the referral process starts the Channel stage
    (8, ["workflows.models"]),  # the app's models, gathered for Django
]
TOP = 9


def _is_top(module: str) -> bool:
    parts = module.split(".")
    if any(part in TOP_MODULE_NAMES for part in parts[1:]):
        return True
    return any(module == top or module.startswith(f"{top}.") for top in TOP_MODULES)


# Pages that belong to a lower layer: the engine's task page is the view of every flow's
# human nodes, so the flows (below the pages) must be able to name it.
# An API client's webhook outbox is written where a case's status is recorded, as a notice
# is: its models import nothing of the project, and its writer reads only referrals.
PLACED = {"workflows.engine.views": 5, "config": TOP, "api.models": 2, "api.events": 4}


def layer_of(module: str) -> int:
    if module in PLACED:
        return PLACED[module]
    if _is_top(module):
        return TOP
    best, best_len = None, -1
    for rank, prefixes in LAYERS:
        for prefix in prefixes:
            if (module == prefix or module.startswith(f"{prefix}.")) and len(prefix) > best_len:
                best, best_len = rank, len(prefix)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)


def _project_modules(graph) -> list[str]:
    return sorted(m for m in graph.modules if ".migrations" not in m)


def test_every_import_goes_down_the_layers(graph):
    upward = []
    for module in _project_modules(graph):
        for imported in graph.find_modules_directly_imported_by(module):
            if ".migrations" in imported:
                continue
            if layer_of(imported) > layer_of(module):
                upward.append(
                    f"{module} ({layer_of(module)}) imports {imported} ({layer_of(imported)})"
                )
    assert upward == []


def test_no_module_is_part_of_an_import_cycle(graph):
    cycles = []
    for module in _project_modules(graph):
        for imported in graph.find_modules_directly_imported_by(module):
            if graph.chain_exists(importer=imported, imported=module):
                cycles.append(f"{module} <-> {imported}")
    assert cycles == []


def _function_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    found.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    return found


def test_no_import_is_hidden_inside_a_function():
    """Except in `AppConfig.ready`, where Django wants registrations made once apps load."""
    hidden = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts or path.name == "apps.py":
                continue
            hidden += _function_imports(path)
    assert hidden == []
