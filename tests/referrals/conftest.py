"""Fixtures for the referral tests: referrers, postcodes and a small page-posting helper."""

import shutil

import pytest

from accounts.roles import Role
from tests.factories import ReferrerFactory, UserFactory, postcodes_load


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    """Each test stores attachments in its own directory, removed afterwards."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    yield tmp_path / "private"
    shutil.rmtree(tmp_path / "private", ignore_errors=True)


@pytest.fixture
def postcodes(regions_loaded):
    postcodes_load()


@pytest.fixture
def referrer(regions_loaded, postcodes):
    return ReferrerFactory(full_name="Sam Safeguarding", organisation="Example Academy")


@pytest.fixture
def other_referrer(regions_loaded):
    return ReferrerFactory(full_name="Kim Other", organisation="Other School")


@pytest.fixture
def police_officer(regions_loaded):
    return UserFactory(role=Role.CTP_PREVENT_OFFICER)


@pytest.fixture
def referrer_client(client, referrer):
    client.force_login(referrer)
    return client
