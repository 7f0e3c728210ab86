"""The case-process tests share the suite's fixtures (tests/conftest.py); their builders are
in tests/cases.py."""

from tests.cases import (  # noqa: F401  (re-exported while modules move to tests.cases)
    CAMDEN,
    MANCHESTER,
    WESTMINSTER,
    People,
    make_user,
    submit_referral,
)
