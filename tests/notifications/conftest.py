"""The Notify fake, running for one test, with the settings that point the backend at it."""

import pytest

from .fake_notify import API_KEY, TEMPLATE_ID, FakeNotifyServer


@pytest.fixture
def notify_server():
    server = FakeNotifyServer().start()
    yield server
    server.stop()


@pytest.fixture
def notify_settings(notify_server, settings):
    """Through pytest-django's `settings`, so a test's own changes to it unwind in order."""
    settings.EMAIL_BACKEND = "notifications.backends.NotifyEmailBackend"
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    settings.NOTIFY_BASE_URL = notify_server.base_url
    return notify_server
