"""One-row INSERTs whose SQL is built once per model: the signing hot path.

Django compiles every INSERT anew, field by field. For a signature (twenty
columns) that compiling was a large part of a sign request's CPU in a wave
(README, "Performance"). insert_row()
writes the row that save() would write, with the statement's text made once per
model and database.

Outside a transaction, the INSERT is also the check that the persistent database
connection still works. Django otherwise sends a `SELECT 1` first in each request
(CONN_HEALTH_CHECKS): a round trip that cost a signature an eighth of its
throughput in a wave. If the connection turns out to be dead (the database
restarted, a network cut), it is opened again and the INSERT sent once more, as
the health check would have done. Should the first INSERT have reached the table
after all, the unique constraint refuses the second, and the caller finds the row
as for anyone who signs twice.
"""

from django.db import InterfaceError, OperationalError, connections, router

# (model, database alias) -> (the fields written, the statement)
_statements: dict = {}


def insert_row(instance) -> None:
    """Insert a new model instance as save() would, and give it its primary key.

    Each field's pre_save() (defaults, auto_now) and database preparation apply as
    in save(); no model signals are sent (the models written this way have none)
    and save() is not called: a model's own save() logic must be applied first.
    """
    model = type(instance)
    alias = router.db_for_write(model, instance=instance)
    connection = connections[alias]
    statement = _statements.get((model, alias))
    if statement is None:
        statement = _statements[model, alias] = _statement(model, connection)
    fields, sql = statement
    params = [
        field.get_db_prep_save(field.pre_save(instance, add=True), connection)
        for field in fields
    ]
    if connection.in_atomic_block:
        _execute(instance, connection, sql, params)
    else:
        _execute_checking_connection(instance, connection, sql, params)
    instance._state.adding = False
    instance._state.db = alias


def _execute_checking_connection(instance, connection, sql, params) -> None:
    """Execute the INSERT as the connection's health check; reconnect once if dead."""
    connection.health_check_done = True  # This request's check is the INSERT.
    try:
        _execute(instance, connection, sql, params)
    except (OperationalError, InterfaceError):
        # Closes the connection only if it no longer answers.
        connection.close_if_unusable_or_obsolete()
        if connection.connection is not None:
            raise  # The connection works: the statement itself failed.
        _execute(instance, connection, sql, params)


def _execute(instance, connection, sql, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if connection.features.can_return_columns_from_insert:
            instance.pk = cursor.fetchone()[0]
        else:  # An SQLite older than 3.35.
            instance.pk = connection.ops.last_insert_id(
                cursor, type(instance)._meta.db_table, type(instance)._meta.pk.column
            )


def _statement(model, connection) -> tuple[list, str]:
    meta = model._meta
    fields = [
        field
        for field in meta.concrete_fields
        if field is not meta.auto_field and not field.generated
    ]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    if connection.features.can_return_columns_from_insert:
        sql += f" RETURNING {quote(meta.pk.column)}"
    return fields, sql
