"""The Notify fake, running for one test, with the settings that point the backend at it."""

import pytest
from django.test import override_settings

from .fake_notify import API_KEY, TEMPLATE_ID, FakeNotifyServer


@pytest.fixture
def notify_server():
    server = FakeNotifyServer().start()
    yield server
    server.stop()


@pytest.fixture
def notify_settings(notify_server):
    with override_settings(
        EMAIL_BACKEND="notifications.backends.NotifyEmailBackend",
        NOTIFY_API_KEY=API_KEY,
        NOTIFY_TEMPLATE_ID=TEMPLATE_ID,
        NOTIFY_BASE_URL=notify_server.base_url,
    ):
        yield notify_server
