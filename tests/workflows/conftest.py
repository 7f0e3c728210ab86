"""The case-process tests share the suite's fixtures (tests/conftest.py); their builders are
in tests/cases.py."""
