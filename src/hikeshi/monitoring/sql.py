"""Multi-row INSERT / upsert and large ``IN`` lookups for the pipeline's hot path, in SQL that SQLite
(≥ 3.35) and PostgreSQL both accept.

Why not ``bulk_create``: building and compiling one model instance per row costs more than the
database work itself when a batch writes thousands of posts, mentions, topic members and series
buckets (profiled: about two thirds of the pipeline's time). Rows here are plain tuples; values are
adapted per column with the backend's own adapters (datetimes, JSON), so what is stored is exactly
what the ORM would store and reads back through the ORM unchanged.
"""

from __future__ import annotations

import json
import struct
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import chain
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, models
from django.utils import timezone

MAX_PARAMS = 900
"""Bound parameters per statement on SQLite: under its oldest default limit (999)."""
PG_ROWS = 5000
"""Rows per statement on PostgreSQL (one array parameter per column)."""


def concrete_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The concrete field ``name`` of ``model`` (a column, not a reverse relation)."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field


def _column(model: type[models.Model], name: str) -> str:
    return connection.ops.quote_name(concrete_field(model, name).column)


def _sqlite_utc_datetime(value: datetime | None) -> str | None:
    """What SQLite's ``adapt_datetimefield_value`` returns when the connection's zone is UTC (naive
    UTC text), without its per-value time zone look-ups: a batch adapts tens of thousands."""
    if value is None:
        return None
    zone = value.tzinfo
    if zone is UTC:
        value = value.replace(tzinfo=None)  # no conversion needed: the common case, and cheap
    elif zone is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ")


def _adapter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        if connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone == UTC:
            return _sqlite_utc_datetime
        return ops.adapt_datetimefield_value
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        if connection.vendor == "postgresql":
            # JSON text, sent as a text array and cast to jsonb[] on the server (see _pg_cast): the
            # same text Django's own adapter would send, without a wrapper object per value that
            # psycopg then dumps one by one (profiled: most of the encoding cost of a batch's rows).
            dumps = _plain_dumps() if encoder is None else partial(json.dumps, cls=encoder)

            def json_text(value: Any) -> Any:
                if value is None:
                    return None
                if not value and type(value) in (list, dict):
                    return "[]" if type(value) is list else "{}"  # most spans and categories: no call
                return dumps(value)

            return json_text

        def adapt_json(value: Any) -> Any:
            return None if value is None else ops.adapt_json_value(value, encoder)

        return adapt_json
    return None


def _plain_dumps() -> Callable[[Any], str]:
    """JSON text of a value, for PostgreSQL to parse into ``jsonb``: orjson's (compact, UTF-8 as it is),
    and ``json.dumps``'s with its default options for what orjson refuses (an integer beyond 64 bits,
    a lone surrogate, a type it does not know: the same value, or the same error, as Django's own
    adapter). The stored ``jsonb`` is the same either way. A post's judgement took 10 µs with the
    standard encoder and 1.7 µs with orjson (timed); ``\\uXXXX`` escapes for every Japanese character
    also made its text half as long again for the server to parse."""
    import orjson

    encode, options, fallback = orjson.dumps, orjson.OPT_NON_STR_KEYS, json.dumps

    def dumps(value: Any) -> str:
        try:
            return encode(value, option=options).decode()
        except TypeError:  # orjson.JSONEncodeError
            return fallback(value)

    return dumps


def _default_fields(
    model: type[models.Model], given: list[models.Field[Any, Any]]
) -> list[models.Field[Any, Any]]:
    """Fields the caller left out that the ORM would fill (defaults, auto_now)."""
    return [
        field
        for field in model._meta.concrete_fields
        if field not in given
        and not field.primary_key
        and (_is_auto_now(field) or field.has_default() or not field.null)
    ]


def _is_auto_now(field: models.Field[Any, Any]) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def _default_value(field: models.Field[Any, Any]) -> Any:
    """The value the ORM would have used for a field left out ("" for text fields, as the ORM does)."""
    return timezone.now() if _is_auto_now(field) else field.get_default()


def _prepared(
    rows: list[Sequence[Any]], extra: list[Any], adapters: list[tuple[int, Callable[[Any], Any]]]
) -> list[Sequence[Any]]:
    """Rows with the defaults appended and the adapted columns adapted, column by column (one
    ``map`` per adapted column instead of indexing every row: a batch has tens of thousands)."""
    if not rows:
        return rows
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
    columns += [[value] * len(rows) for value in extra]
    for index, adapt in adapters:
        if adapt is _sqlite_utc_datetime:
            # Few distinct values per column (a post's time for each of its mentions, 5-minute buckets).
            memo: dict[Any, Any] = {}
            columns[index] = [memo[v] if v in memo else memo.setdefault(v, adapt(v)) for v in columns[index]]
        else:
            columns[index] = list(map(adapt, columns[index]))
    return list(zip(*columns, strict=True))


@dataclass(frozen=True, slots=True)
class _Plan:
    """What an ``insert_rows`` call derives from its arguments alone (metadata, not rows): built once per
    distinct call. Building it per call — field look-ups, ``db_type`` of every column for its PostgreSQL
    cast — was about 2 % of a PostgreSQL worker's CPU (sampled)."""

    columns: list[models.Field[Any, Any]]
    defaults: list[models.Field[Any, Any]]
    adapters: list[tuple[int, Callable[[Any], Any]]]
    head: str
    tail: str
    pg_casts: str
    pg_kinds: list[str]
    """Per column: "bigint", "double", "number", "text", "bool" or "" (see ``_pg_array``)."""


_PLANS: dict[tuple[Any, ...], _Plan] = {}


def _plan(
    model: type[models.Model],
    fields: tuple[str, ...],
    conflict: tuple[str, ...],
    update: tuple[str, ...],
    changed_only: bool,
    returning: tuple[str, ...],
) -> _Plan:
    # The adapters depend on the connection's vendor and time zone (see _adapter): part of the key.
    key: tuple[Any, ...] = (connection.alias, connection.vendor, settings.USE_TZ, connection.timezone_name)
    key += (model, fields, conflict, update, changed_only, returning)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _build_plan(model, fields, conflict, update, changed_only, returning)
    return plan


def _build_plan(
    model: type[models.Model],
    fields: tuple[str, ...],
    conflict: tuple[str, ...],
    update: tuple[str, ...],
    changed_only: bool,
    returning: tuple[str, ...],
) -> _Plan:
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [concrete_field(model, name) for name in fields]
    defaults = _default_fields(model, columns)
    columns += defaults
    adapters = [(i, a) for i, f in enumerate(columns) if (a := _adapter(f)) is not None]
    names = ", ".join(quote(f.column) for f in columns)
    head = f"INSERT INTO {quote(meta.db_table)} ({names}) "
    tail = ""
    if conflict:
        targets = ", ".join(_column(model, name) for name in conflict)
        if update:
            sets = ", ".join(f"{c} = excluded.{c}" for c in (_column(model, name) for name in update))
            tail = f" ON CONFLICT ({targets}) DO UPDATE SET {sets}"
            if changed_only:
                differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
                table = quote(meta.db_table)
                tail += " WHERE " + " OR ".join(
                    f"{table}.{c} {differs} excluded.{c}" for c in (_column(model, name) for name in update)
                )
        else:
            tail = f" ON CONFLICT ({targets}) DO NOTHING"
    if returning:
        tail += " RETURNING " + ", ".join(_column(model, name) for name in returning)
    postgres = connection.vendor == "postgresql"
    return _Plan(
        columns=columns,
        defaults=defaults,
        adapters=adapters,
        head=head,
        tail=tail,
        pg_casts=", ".join(_pg_cast(field) for field in columns) if postgres else "",
        pg_kinds=[_pg_kind(field) for field in columns] if postgres else [],
    )


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
    changed_only: bool = False,
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """INSERT ``rows`` (values in the order of ``fields``, by field name) into ``model``'s table; the
    other fields get their defaults (one value for all rows, as ``bulk_create`` would give).

    ``conflict`` + ``update``: ON CONFLICT (conflict) DO UPDATE SET each of ``update`` to the new value;
    ``conflict`` alone: ON CONFLICT (conflict) DO NOTHING. ``changed_only``: update a conflicting row
    only where one of ``update`` differs (a row already as wanted is not rewritten, nor returned).
    ``returning``: fields to return for every
    inserted or updated row (match them on a unique key: row order is not guaranteed)."""
    plan = _plan(model, tuple(fields), tuple(conflict), tuple(update), changed_only, tuple(returning))
    extra = [_default_value(field) for field in plan.defaults]
    prepared = rows if isinstance(rows, list) else list(rows)
    if set(map(len, prepared)) - {len(fields)}:
        bad = next(row for row in prepared if len(row) != len(fields))
        raise ValueError(f"{model.__name__}: {len(bad)} values for {len(fields)} fields")
    if plan.adapters or extra:
        prepared = _prepared(prepared, extra, plan.adapters)
    found: list[tuple[Any, ...]] = []
    with _insert_cursor() as cursor:
        for sql, params in _statements(plan, prepared):
            cursor.execute(sql, params)
            if returning:
                found.extend(tuple(r) for r in cursor.fetchall())
    return found


def _insert_cursor() -> Any:
    """A cursor of Django's connection (same transaction, Django's error wrapping, query logging and
    execute wrappers). On PostgreSQL one that binds its parameters on the server: Django's own cursors
    bind on the client (psycopg's ``ClientCursor``), which quotes every element of every array into the
    SQL text in Python — for a batch's text and JSON columns that quoting was the largest single cost of
    a PostgreSQL worker (profiled: 2.0 of 4.9 s for 6,000 posts). Bound on the server the arrays are
    sent in binary (``%b`` in ``_statements``): about 25 times cheaper to encode than quoted."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg

    connection.ensure_connection()
    connection.validate_thread_sharing()
    _register_binary_arrays(connection.connection.adapters)
    with connection.wrap_database_errors:
        raw = psycopg.Cursor(connection.connection)
    # wrapped as BaseDatabaseWrapper.cursor() wraps its own (the stubs type the argument as a wrapper)
    wrapper: Any = raw
    return (
        connection.make_debug_cursor(wrapper)
        if connection.queries_logged
        else connection.make_cursor(wrapper)
    )


_PG_NUMBER_TYPES = frozenset({"bigint", "integer", "smallint", "double precision", "real"})


def _pg_array(values: Sequence[Any], kind: str) -> Any:
    """A column's values for PostgreSQL: an integer or double column as a binary array built by numpy
    (``_binary_number_array``), else a number column as one array literal (cheaper to build than
    psycopg's binary encoding of a list of ints, which inspects each element), text and boolean columns
    as their binary arrays built here (``_binary_text_array``), anything else as a list for psycopg to
    encode in binary. ``kind`` comes from the column's type, not from looking at every value (that
    test was ~0.1 of 4.4 profiled seconds for 6,000 posts)."""
    if kind in ("bigint", "double"):
        encoded = _binary_number_array(values, kind)
        if encoded is not None:
            return encoded
    if kind in ("number", "bigint", "double"):
        # str() of an int or a float is its literal (repr); None, in a nullable column, is NULL
        text = ",".join(map(str, values))
        if "None" in text:
            text = ",".join("NULL" if v is None else str(v) for v in values)
        return "{" + text + "}"  # 1e-05, inf and nan are valid float input in PostgreSQL too
    if kind == "text":
        encoded = _binary_text_array(values)
        if encoded is not None:
            return encoded
    elif kind == "bool":
        flags = _binary_bool_array(values)
        if flags is not None:
            return flags
    return list(values)


_TEXT_OID, _TEXT_ARRAY_OID, _BOOL_OID, _BOOL_ARRAY_OID = 25, 1009, 16, 1000
_INT8_OID, _INT8_ARRAY_OID, _FLOAT8_OID, _FLOAT8_ARRAY_OID = 20, 1016, 701, 1022
_ARRAY_HEAD = struct.Struct("!iiiii")
_LENGTH = struct.Struct("!i").pack
_NULL = _LENGTH(-1)
_BOOLS = {True: _LENGTH(1) + b"\x01", False: _LENGTH(1) + b"\x00", None: _NULL}


class _BinaryArray(bytes):
    """A one-dimensional array in PostgreSQL's binary format, dumped as it is (``_BinaryArrayDumper``);
    the element type is in its header, the array type in ``oid``."""

    oid = 0


class _TextArray(_BinaryArray):
    oid = _TEXT_ARRAY_OID


class _BoolArray(_BinaryArray):
    oid = _BOOL_ARRAY_OID


class _Int8Array(_BinaryArray):
    oid = _INT8_ARRAY_OID


class _Float8Array(_BinaryArray):
    oid = _FLOAT8_ARRAY_OID


_INT8_ELEMENTS = np.dtype([("length", ">i4"), ("value", ">i8")])
_FLOAT8_ELEMENTS = np.dtype([("length", ">i4"), ("value", ">f8")])


def _binary_number_array(values: Sequence[Any], kind: str) -> _BinaryArray | None:
    """``bigint[]`` (``kind`` "bigint": integer columns, cast to the column's type by the query) or
    ``double precision[]`` ("double") in binary, built by numpy in one pass: ``str()`` of every value
    for an array literal was about 2 % of a worker's CPU (sampled; a float's repr is the slow part),
    and the server parses the literal element by element. Only where numpy reads every value exactly
    as the literal would: Python ints that fit in 64 bits for "bigint" (ints or floats for "double"),
    or all None; a None among numbers (a NULL), a bool, a float in an integer column or anything else
    gives None (the literal)."""
    if not values:
        return None
    cls, oid = (_Int8Array, _INT8_OID) if kind == "bigint" else (_Float8Array, _FLOAT8_OID)
    if values.count(None) == len(values):  # a nullable key no row sets (a mention's source, mostly)
        return cls(_ARRAY_HEAD.pack(1, 1, oid, len(values), 1) + _NULL * len(values))
    array = np.array(values)
    if array.ndim != 1 or array.dtype.kind not in ("i", "f" if kind == "double" else "i"):
        return None
    if kind == "double" and array.dtype.kind == "i" and np.abs(array).max() > 2**53:
        return None  # not every such int is a double
    elements = np.empty(len(array), dtype=_INT8_ELEMENTS if kind == "bigint" else _FLOAT8_ELEMENTS)
    elements["length"] = 8
    elements["value"] = array
    return cls(_ARRAY_HEAD.pack(1, 0, oid, len(array), 1) + elements.tobytes())


def _binary_text_array(values: Sequence[Any]) -> _TextArray | None:
    """``text[]`` in binary, the bytes psycopg's list dumper writes for a list of str (a test compares
    them), built with one comprehension instead of its Python call per element (its array encoding was
    about 4 % of a worker's CPU, sampled). None (psycopg encodes the list) if a value is not a str."""
    try:
        parts = [_NULL if v is None else _LENGTH(len(b := v.encode())) + b for v in values]
    except AttributeError:
        return None
    head = _ARRAY_HEAD.pack(1, 1 if None in values else 0, _TEXT_OID, len(values), 1)
    return _TextArray(head + b"".join(parts))


def _binary_bool_array(values: Sequence[Any]) -> _BoolArray | None:
    """``boolean[]`` in binary, as psycopg writes it; None if a value is not True, False or None."""
    try:
        parts = [_BOOLS[v] for v in values]
    except (KeyError, TypeError):
        return None
    if any(type(v) not in (bool, type(None)) for v in values):
        return None  # 1 and 0 are keys of _BOOLS too (equal to True and False)
    head = _ARRAY_HEAD.pack(1, 1 if None in values else 0, _BOOL_OID, len(values), 1)
    return _BoolArray(head + b"".join(parts))


_REGISTERED: weakref.WeakSet[Any] = weakref.WeakSet()
"""The psycopg adapter maps (one per connection) that know ``_BinaryArray``'s dumpers."""


def _register_binary_arrays(adapters: Any) -> None:
    """Teach a connection to send a ``_BinaryArray`` as it is, with its array type (else psycopg would
    send the bytes as ``bytea``)."""
    if adapters in _REGISTERED:
        return
    from psycopg.adapt import Dumper
    from psycopg.pq import Format

    for cls in (_TextArray, _BoolArray, _Int8Array, _Float8Array):

        class _Dumper(Dumper):
            format = Format.BINARY
            oid = cls.oid

            def dump(self, obj: Any) -> Any:
                return obj

        adapters.register_dumper(cls, _Dumper)
    _REGISTERED.add(adapters)


def _pg_kind(field: models.Field[Any, Any]) -> str:
    if isinstance(field, models.BooleanField):
        return "bool"
    if isinstance(field, models.JSONField):
        return "text"  # JSON text (see _adapter), cast to jsonb on the server (_pg_cast)
    db_type = field.db_type(connection) or ""
    if db_type in ("bigint", "integer", "smallint"):
        return "bigint"  # sent as bigint[] (``_binary_number_array``), cast to the column's type
    if db_type == "double precision":
        return "double"  # not "real": a double rounded to real could differ from the literal's value
    if db_type in _PG_NUMBER_TYPES:
        return "number"
    if db_type == "text" or db_type.startswith("varchar"):
        return "text"
    return ""


def _pg_cast(field: models.Field[Any, Any]) -> str:
    """The placeholder of a column's array: JSON columns arrive as JSON text (see ``_adapter``)."""
    if isinstance(field, models.JSONField):
        return "%b::text[]::jsonb[]"
    return f"%b::{field.db_type(connection)}[]"


def _statements(plan: _Plan, rows: list[Sequence[Any]]) -> Iterator[tuple[str, list[Any]]]:
    """SQLite: multi-row VALUES, within its parameter limit. PostgreSQL: one array per column, sent in
    binary (``%b``, see ``_insert_cursor``), and ``SELECT * FROM unnest(…)``: psycopg parses a query's
    placeholders on every execution, which for hundreds of rows × columns cost more than the insert
    itself (profiled)."""
    head, tail = plan.head, plan.tail
    if connection.vendor == "postgresql":
        for offset in range(0, len(rows), PG_ROWS):
            chunk = rows[offset : offset + PG_ROWS]
            arrays = [
                _pg_array(values, kind)
                for values, kind in zip(zip(*chunk, strict=True), plan.pg_kinds, strict=True)
            ]
            yield f"{head}SELECT * FROM unnest({plan.pg_casts}){tail}", arrays  # noqa: S608 (metadata only)
        return
    placeholder = "(" + ", ".join(["%s"] * len(plan.columns)) + ")"
    per_statement = max(1, MAX_PARAMS // len(plan.columns))
    for offset in range(0, len(rows), per_statement):
        chunk = rows[offset : offset + per_statement]
        yield (
            head + "VALUES " + ", ".join([placeholder] * len(chunk)) + tail,
            list(chain.from_iterable(chunk)),
        )


def fast_datetimes(cursor: Any) -> Any:
    """``cursor`` (one of Django's), set to read ``timestamptz`` columns with psycopg's own loader, in
    C, instead of Django's Python subclass of it, which parses every value in Python: about 8 µs a
    value (measured: 20,000 values 0.19 s → 0.03 s), for the tens of thousands of member, topic and
    bucket times a batch reads. Only where both give the same value: PostgreSQL with the session in
    UTC (as Django sets it with ``USE_TZ``), aware datetimes in ``datetime.UTC``."""
    if connection.vendor == "postgresql" and connection.timezone_name == "UTC":
        from psycopg.types.datetime import TimestamptzLoader

        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
    return cursor


def in_list(column: str, values: Sequence[Any], pg_type: str) -> tuple[str, list[Any]]:
    """``column`` IN the values, as one bound parameter (a JSON array on SQLite, a ``pg_type`` array on
    PostgreSQL, cast so the column's index is used): thousands of band keys would otherwise be
    thousands of parameters."""
    if pg_type not in ("bigint", "text"):
        raise ValueError(f"unsupported array type {pg_type!r}")
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::{pg_type}[])", [
            pg_bigint_array(values) if pg_type == "bigint" else list(values)
        ]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(list(values))]  # noqa: S608


def ids_in(column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
    """``column IN ids`` for a batch's organisation ids (tens to hundreds). PostgreSQL: one array
    literal, ``column = ANY('{…}'::bigint[])`` — what PostgreSQL makes of an ``IN`` list of constants
    anyway, so the plan is the same; psycopg's client-side binding parses a query with more than 50
    parameters anew on every call (no cache) and quotes each parameter in Python. SQLite:
    ``IN (%s, …)``."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", [pg_bigint_array(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def pg_bigint_array(values: Iterable[Any]) -> str:
    """Integers as one PostgreSQL array literal (``'{1,2,3}'``, cast by the query), for Django's
    cursors, which bind on the client: psycopg quotes a list element by element in Python, a string
    at once (a batch's 500-value look-ups: about 1 % of a worker's CPU, sampled). ``int()`` keeps
    anything but an integer out of the literal."""
    return "{" + ",".join([str(int(v)) for v in values]) + "}"


def probe(
    select: str,
    table: str,
    column: str,
    values: Sequence[Any],
    pg_type: str,
    condition: str = "",
    condition_params: Sequence[Any] = (),
) -> tuple[str, list[Any]]:
    """``SELECT select FROM table WHERE column IN values [AND condition]`` where ``column`` leads an
    index: each value one index look-up, however the planner estimates the list.

    On PostgreSQL ``column = ANY(array)`` is estimated as about half a percent of the table per value
    when the table has no statistics (autovacuum off, as on the benchmark's server, or a table not
    analysed yet): a 500-value list is "the whole table", and it was scanned whole for every batch.
    Here each value is looked up in a ``LATERAL`` subquery of its own that ``OFFSET 0`` keeps
    from being flattened into a join, so the planner can only choose how to find one value's rows:
    by the index. The values go as one string, quoted at once by Django's client-side binding: an array
    literal of integers (``pg_bigint_array``), a JSON array of texts (``json_array_elements_text``).
    SQLite: ``in_list`` (its planner probes the index for each value already)."""
    extra = f" AND {condition}" if condition else ""
    if connection.vendor == "postgresql":
        if pg_type not in ("bigint", "text"):
            raise ValueError(f"unsupported array type {pg_type!r}")
        if pg_type == "bigint":
            wanted, param = "unnest(%s::bigint[])", pg_bigint_array(values)
        else:
            wanted, param = "json_array_elements_text(%s::json)", json.dumps(list(values), ensure_ascii=False)
        sql = (
            f"SELECT found.* FROM {wanted} AS wanted(value) CROSS JOIN LATERAL "  # noqa: S608
            f"(SELECT {select} FROM {table} WHERE {column} = wanted.value{extra} OFFSET 0) AS found"
        )
        return sql, [param, *condition_params]
    where, params = in_list(column, values, pg_type)
    return f"SELECT {select} FROM {table} WHERE {where}{extra}", [*params, *condition_params]  # noqa: S608
