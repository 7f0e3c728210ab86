from tests.workflows.conftest import people, referral  # noqa: F401  (shared fixtures)
