"""Steering SQLite's query planner where its statistics mislead it."""

from django.db.models import BigIntegerField, Func


class NotAnIndexKey(Func):
    """SQLite's unary + on a column: the same value, but a term on it is no index's key (SQLite's documented
    way to keep the planner off an index), so the term is tested on each row the plan reads. SQLite only:
    PostgreSQL would read `+col` as an expression no index serves."""

    template = "+%(expressions)s"
    output_field = BigIntegerField()
