"""The append-only triggers' SQL, shared by their migration, tests and test-database resets."""

import importlib

_migration = importlib.import_module("compliance.migrations.0007_keyed_sealed_chain")


def _execute(connection, statements: dict[str, list[str]]) -> None:
    with connection.cursor() as cursor:
        for sql in statements[connection.vendor]:
            cursor.execute(sql)


def install(connection) -> None:
    _execute(
        connection, {"sqlite": _migration.SQLITE_CREATE, "postgresql": _migration.POSTGRES_CREATE}
    )


def remove(connection) -> None:
    _execute(connection, {"sqlite": _migration.SQLITE_DROP, "postgresql": _migration.POSTGRES_DROP})
