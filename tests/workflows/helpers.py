"""Kept while test modules move to tests.cases, which now holds these."""

from tests.cases import open_task, open_tasks  # noqa: F401
