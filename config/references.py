"""Human references by year (PRV-2026-000123, CMP-2026-000045), without a global lock.

A counter row locked with SELECT ... FOR UPDATE serialises every submission behind the one
before it until that one commits: the lock is held through the whole transaction. On
PostgreSQL each prefix and year has its own sequence instead (`prv_reference_2026`),
created the first time it is needed: `nextval` takes no lock that lasts, so concurrent
submissions never wait for each other. A number drawn by a transaction that then rolls back
is not reused, so references are unique and increasing but may have gaps. A new year's
sequence starts after the highest reference of that year already stored (or counted), so
switching from the counter row never reissues a number.

SQLite (development, the default test run) takes its write lock at BEGIN anyway, so the
counter row is kept there.
"""

from django.db import IntegrityError, ProgrammingError, connection, models, transaction


def yearly_reference(
    *,
    prefix: str,
    year: int,
    counter_model: type[models.Model],
    model: type[models.Model],
    field: str = "reference",
) -> str:
    """The next reference `PREFIX-YYYY-NNNNNN` for `model.field`."""
    if connection.vendor == "postgresql":
        number = _sequence_next(prefix, year, counter_model, model, field)
    else:
        number = _counter_next(counter_model, year)
    return f"{prefix}-{year}-{number:06d}"


def _counter_next(counter_model: type[models.Model], year: int) -> int:
    counter, _ = counter_model._default_manager.select_for_update().get_or_create(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def sequence_name(prefix: str, year: int) -> str:
    return f"{prefix.lower()}_reference_{int(year)}"


def _sequence_next(prefix, year, counter_model, model, field) -> int:
    name = sequence_name(prefix, year)
    with connection.cursor() as cursor:
        # One statement in the usual case; NULL only the first time in a year.
        cursor.execute(
            "SELECT CASE WHEN to_regclass(%s) IS NOT NULL THEN nextval(%s::text) END",
            [name, name],
        )
        (number,) = cursor.fetchone()
        if number is not None:
            return number
        start = _highest(prefix, year, counter_model, model, field) + 1
        try:
            with transaction.atomic():  # a savepoint: losing the race must not abort the caller
                cursor.execute(
                    f"CREATE SEQUENCE IF NOT EXISTS {connection.ops.quote_name(name)} "
                    f"START WITH {int(start)}"
                )
        except (IntegrityError, ProgrammingError):
            pass  # another transaction created it at the same moment and has committed
        cursor.execute("SELECT nextval(%s::text)", [name])
        return cursor.fetchone()[0]


def _highest(prefix, year, counter_model, model, field) -> int:
    """The highest number of the year already issued, by the counter or on a stored row."""
    stem = f"{prefix}-{year}-"
    last = (
        model._default_manager.filter(**{f"{field}__startswith": stem})
        .order_by(f"-{field}")
        .values_list(field, flat=True)
        .first()
    )
    counted = (
        counter_model._default_manager.filter(year=year)
        .values_list("last_number", flat=True)
        .first()
    )
    return max(int(last[len(stem) :]) if last else 0, counted or 0)
