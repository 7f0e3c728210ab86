"""Kept while test modules move to tests.cases, which now holds these."""

from tests.cases import error_summary, open_task, open_tasks  # noqa: F401
