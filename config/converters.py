"""Path converters shared by every URL configuration.

`id` is Django's `int` with a bound: one to eighteen ASCII digits, so every id that reaches a
view fits a 64-bit database column. A longer number, a sign, full-width digits or anything
else is not an address of this service, and answers 404 before any view runs (an id beyond
64 bits would otherwise make the database driver raise).
"""

from django.urls import register_converter
from django.urls.converters import get_converters


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


def converters_register() -> None:
    """Register the converters once, before any URL configuration that uses them is read."""
    if "id" not in get_converters():
        register_converter(IdConverter, "id")
