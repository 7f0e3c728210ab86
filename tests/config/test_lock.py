"""requirements.lock pins everything pyproject.toml asks for, and is what is installed: so CI,
and pip-audit reading the lock, see the versions the service really runs."""

import tomllib
from importlib import metadata
from pathlib import Path

from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

BASE_DIR = Path(settings.BASE_DIR)


def _locked() -> dict[str, str]:
    pins = {}
    for line in (BASE_DIR / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["dev"]
    return [Requirement(line) for line in declared]


def test_every_declared_dependency_is_pinned_within_its_range():
    """After changing dependencies in pyproject.toml, run `make lock` (see README)."""
    locked = _locked()
    problems = []
    for requirement in _declared():
        version = locked.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name} is not in requirements.lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}=={version} is outside {requirement.specifier}")
    assert problems == []


def test_the_installed_versions_are_the_locked_ones():
    installed = {
        canonicalize_name(dist.metadata["Name"]): dist.version for dist in metadata.distributions()
    }
    different = {
        name: (version, installed[name])
        for name, version in _locked().items()
        if name in installed and installed[name] != version
    }
    assert different == {}
    assert len(set(_locked()) & set(installed)) > 60
