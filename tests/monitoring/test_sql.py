"""Multi-row INSERT / upsert used by the pipeline: what is stored reads back through the ORM unchanged."""

from __future__ import annotations

import pytest

from hikeshi.monitoring.models import SeriesBucket, SeriesState, Topic
from hikeshi.monitoring.sql import in_list, insert_rows
from tests.monitoring.helpers import NOW
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db


def test_upsert_replaces_counts_and_keeps_other_rows(alpha: Tenant) -> None:
    org = alpha.org.pk
    fields = ["organization", "series", "bucket_start", "mentions", "negative", "reposts", "authors"]
    conflict = ["organization", "series", "bucket_start"]
    update = ["mentions", "negative", "reposts", "authors"]
    insert_rows(SeriesBucket, fields, [(org, "org", NOW, 1, 0, 0, 1), (org, "rule:999999", NOW, 5, 1, 2, 3)])
    insert_rows(SeriesBucket, fields, [(org, "org", NOW, 7, 2, 9, 4)], conflict=conflict, update=update)
    stored = dict(
        SeriesBucket.objects.for_org(alpha.org).filter(bucket_start=NOW).values_list("series", "mentions")
    )
    assert stored == {"org": 7, "rule:999999": 5}
    assert SeriesBucket.objects.get(organization=alpha.org, series="rule:999999").bucket_start == NOW


def test_defaults_are_filled_and_returning_gives_ids(alpha: Tenant) -> None:
    returned = insert_rows(
        SeriesState,
        ["organization", "series", "pending"],
        [(alpha.org.pk, "org", True), (alpha.org.pk, "topic:9", True)],
        conflict=["organization", "series"],
        update=["pending"],
        returning=["id", "series"],
    )
    ids = {series: pk for pk, series in returned}
    state = SeriesState.objects.get(pk=ids["topic:9"])
    assert (state.detector, state.level, state.explanation, state.scored_until) == ({}, 0, "", None)


def test_bad_rows_and_big_in_lists(alpha: Tenant) -> None:
    with pytest.raises(ValueError, match="2 values for 3 fields"):
        insert_rows(SeriesState, ["organization", "series", "pending"], [(alpha.org.pk, "org")])
    from django.db import connection

    condition, params = in_list("id", list(range(5000)), "bigint")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {Topic._meta.db_table} WHERE {condition}", params)  # noqa: S608
        assert cursor.fetchone()[0] == Topic.objects.filter(pk__lt=5000).count()


def test_fast_sqlite_datetime_text_is_what_django_stores() -> None:
    from datetime import datetime, timedelta, timezone

    from django.db import connection
    from django.db import models as dj_models

    from hikeshi.monitoring import sql

    adapt = sql._adapter(dj_models.DateTimeField())
    assert adapt is not None
    jst = timezone(timedelta(hours=9))
    for value in (NOW, NOW.replace(microsecond=1234), datetime(2026, 1, 1, 8, 59, 59, tzinfo=jst), None):
        assert adapt(value) == connection.ops.adapt_datetimefield_value(value)


def test_awkward_values_read_back_unchanged(alpha: Tenant) -> None:
    """What array quoting could get wrong (PostgreSQL sends the columns as binary arrays, SQLite as
    parameters): quotes, braces, commas, backslashes, the word NULL, None, non-BMP text, nested JSON."""
    from hikeshi.monitoring.models import Post

    texts = ['a "quoted", {braced} text', "back\\slash\\", "NULL", "絵文字 🔥 と\t改行\n", "'single'"]
    judgements = [{"risk": 0.5, "nested": {"list": [1, "二", None]}, "text": t} for t in texts]
    rows = [
        (f"k{i}", str(i), text, text[:10], NOW, None if i % 2 else i, judgement, [text, "x"])
        for i, (text, judgement) in enumerate(zip(texts, judgements, strict=True))
    ]
    fields = ["source_key", "source_id", "text", "author", "published_at", "likes", "judgement", "categories"]
    returned = insert_rows(Post, fields, rows, returning=["id", "source_id"])
    ids = {source_id: pk for pk, source_id in returned}
    for source_key, source_id, text, author, published, likes, judgement, categories in rows:
        post = Post.objects.get(pk=ids[source_id])
        assert (post.source_key, post.text, post.author, post.published_at) == (
            source_key,
            text,
            author,
            published,
        )
        assert (post.likes, post.judgement, post.categories, post.title) == (likes, judgement, categories, "")


def test_changed_only_leaves_rows_already_as_wanted(alpha: Tenant) -> None:
    """``changed_only``: a conflicting row is updated (and returned) only where a value differs."""
    org = alpha.org.pk
    fields, conflict = ["organization", "series", "pending"], ["organization", "series"]
    insert_rows(SeriesState, fields, [(org, "rule:990000", True), (org, "rule:990001", False)])
    returned = insert_rows(
        SeriesState,
        fields,
        [(org, "rule:990000", True), (org, "rule:990001", True), (org, "rule:990002", True)],
        conflict=conflict,
        update=["pending"],
        changed_only=True,
        returning=["series"],
    )
    assert sorted(series for (series,) in returned) == ["rule:990001", "rule:990002"]
    stored = SeriesState.objects.for_org(alpha.org).filter(series__startswith="rule:99000")
    assert dict(stored.values_list("series", "pending")) == {
        "rule:990000": True,
        "rule:990001": True,
        "rule:990002": True,
    }


def test_fast_datetimes_read_the_same_aware_times(alpha: Tenant) -> None:
    from datetime import timedelta

    from django.db import connection

    from hikeshi.monitoring.sql import fast_datetimes

    starts = [NOW - timedelta(minutes=5 * i, microseconds=i) for i in range(3)]
    fields = ["organization", "series", "bucket_start", "mentions", "negative", "reposts", "authors"]
    insert_rows(
        SeriesBucket, fields, [(alpha.org.pk, f"topic:-{i}", s, 1, 0, 0, 1) for i, s in enumerate(starts)]
    )
    table = SeriesBucket._meta.db_table
    sql = f"SELECT bucket_start FROM {table} WHERE organization_id = %s AND series LIKE 'topic:-%%' ORDER BY series"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [alpha.org.pk])
        plain = [value for (value,) in cursor.fetchall()]
    with fast_datetimes(connection.cursor()) as cursor:
        cursor.execute(sql, [alpha.org.pk])
        fast = [value for (value,) in cursor.fetchall()]
    assert fast == plain
    if connection.vendor == "postgresql":  # SQLite returns what it stored, unchanged by the helper
        assert fast == starts and all(v.utcoffset() == timedelta(0) for v in fast)


def test_probe_finds_what_an_in_list_finds_one_index_look_up_each(alpha: Tenant) -> None:
    from django.db import connection

    from hikeshi.monitoring.models import Post
    from hikeshi.monitoring.sql import probe

    posts = [
        Post.objects.create(
            source_key=f"push:{i % 2}",
            source_id=f"s{i}",
            content_hash=f"h{i % 3}",
            text="x",
            published_at=NOW,
        )
        for i in range(8)
    ]
    table = Post._meta.db_table
    wanted = ["s1", "s2", "s3", "s7", "s9", "it's"]
    sql, params = probe("id, source_id", table, "source_id", wanted, "text", "source_key = %s", ["push:1"])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = sorted(cursor.fetchall())
        assert found == sorted(
            (p.pk, p.source_id) for p in posts if p.source_id in wanted[:4] and p.source_key == "push:1"
        )
        sql, params = probe("id", table, "content_hash", ["h0", "h2"], "text")
        cursor.execute(sql + " ORDER BY id", params)
        assert [pk for (pk,) in cursor.fetchall()] == [p.pk for p in posts if p.content_hash in ("h0", "h2")]
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            if cursor.fetchone()[0] >= 0:
                return  # analysed (autovacuum): the planner may rightly scan a table this small
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert f"Seq Scan on {table}" not in plan, plan


def test_probe_values_that_need_quoting_and_bigint_literals(alpha: Tenant) -> None:
    """The values travel as one string (a JSON array of texts, an array literal of integers): texts
    that an array literal or JSON would have to escape come back as themselves."""
    from django.db import connection

    from hikeshi.monitoring.models import Post
    from hikeshi.monitoring.sql import pg_bigint_array, probe

    awkward = ['a"b', "c\\d", "{x,y}", "NULL", "日本語", "", " sp ", "it's", "\u2028", "e\nf"]
    posts = {
        Post.objects.create(source_key="push:q", source_id=value, text="x", published_at=NOW).pk: value
        for value in awkward
    }
    table = Post._meta.db_table
    with connection.cursor() as cursor:
        sql, params = probe("id, source_id", table, "source_id", [*awkward, "missing"], "text")
        cursor.execute(sql, params)
        assert sorted(cursor.fetchall()) == sorted(posts.items())
        ids = sorted(posts)
        sql, params = probe("id", table, "id", [ids[0], ids[-1], 2**62], "bigint")
        cursor.execute(sql, params)
        assert sorted(pk for (pk,) in cursor.fetchall()) == [ids[0], ids[-1]]
    assert pg_bigint_array([1, -2, 2**62]) == "{1,-2,4611686018427387904}"
    with pytest.raises(ValueError):
        pg_bigint_array(["1); DROP TABLE x; --"])


def test_binary_arrays_are_the_bytes_psycopg_writes() -> None:
    """``insert_rows`` builds text and boolean arrays itself on PostgreSQL; they must be what psycopg's
    own list dumper sends (type included), and anything else is left to psycopg."""
    from psycopg.adapt import PyFormat, Transformer

    from hikeshi.monitoring.sql import _binary_bool_array, _binary_text_array

    transformer = Transformer()

    def psycopg_bytes(values: list[object]) -> tuple[bytes, int]:
        dumper = transformer.get_dumper(values, PyFormat.BINARY)
        return bytes(dumper.dump(values)), dumper.oid

    for texts in (["a", "日本語", "", 'q"\\{,}', "\u2028\n"], ["x", None, "y"], [None, "z"]):
        encoded = _binary_text_array(texts)
        assert encoded is not None and (bytes(encoded), encoded.oid) == psycopg_bytes(texts)
    for flags in ([True, False, True], [False, None]):
        encoded_flags = _binary_bool_array(flags)
        assert encoded_flags is not None
        assert (bytes(encoded_flags), encoded_flags.oid) == psycopg_bytes(flags)
    assert _binary_text_array(["a", 1]) is None
    assert _binary_bool_array([True, 1]) is None and _binary_bool_array([0]) is None


def test_binary_number_arrays_are_int8_and_float8_as_psycopg_writes_them() -> None:
    """Integer and double columns go as ``bigint[]`` / ``double precision[]`` built by numpy: the bytes
    psycopg writes for those types; anything numpy would not read exactly falls back to the literal."""
    from psycopg.adapt import PyFormat, Transformer

    from hikeshi.monitoring.sql import _binary_number_array, _pg_array

    transformer = Transformer()

    def psycopg_bytes(values: list[object]) -> tuple[bytes, int]:
        dumper = transformer.get_dumper(values, PyFormat.BINARY)
        return bytes(dumper.dump(values)), dumper.oid

    for ints in ([1, -2, 2**62], [-(2**63), 2**63 - 1, 40_000_000_000]):  # psycopg's int8 arrays
        encoded = _binary_number_array(ints, "bigint")
        assert encoded is not None and (bytes(encoded), encoded.oid) == psycopg_bytes(ints)
    for floats in ([0.5, 1e-05, float("inf"), -0.0, 0.1 + 0.2], [3.0]):
        encoded = _binary_number_array(floats, "double")
        assert encoded is not None and (bytes(encoded), encoded.oid) == psycopg_bytes(floats)
    assert bytes(_binary_number_array([1, 2], "double") or b"") == psycopg_bytes([1.0, 2.0])[0]
    nulls = _binary_number_array([None, None], "bigint")
    assert nulls is not None and nulls.oid == psycopg_bytes([1, 2**62])[1]
    for values, kind in (
        ([1, None], "bigint"),
        ([1.5, 2], "bigint"),
        ([True, False], "bigint"),
        ([2**64], "bigint"),
        (["1"], "bigint"),
        ([2**60, 1], "double"),
        ([0.5, None], "double"),
    ):
        assert _binary_number_array(values, kind) is None, values
    assert _pg_array([1, None], "bigint") == "{1,NULL}"
    assert _pg_array([0.5, 2], "double") == _pg_array([0.5, 2.0], "double")


def test_numbers_read_back_unchanged(alpha: Tenant) -> None:
    """Integer, nullable integer and double columns through ``insert_rows`` (binary arrays on
    PostgreSQL where every value is a number, literals otherwise) read back as given."""
    from hikeshi.monitoring.models import Post

    rows = [
        ("n", "1", "t", NOW, 2**40, 0.1 + 0.2, -1e-300, 7),
        ("n", "2", "t", NOW, 0, 1.0, float("inf"), None),
        ("n", "3", "t", NOW, 2**31 - 1, -0.0, 5e300, 0),
    ]
    fields = ["source_key", "source_id", "text", "published_at", "views", "risk", "sentiment", "likes"]
    insert_rows(Post, fields, rows)
    insert_rows(Post, fields, [(*row[:1], f"x{row[1]}", *row[2:7], 3) for row in rows])  # no NULL
    for source_key, source_id, _text, _at, views, risk, sentiment, likes in rows:
        post = Post.objects.get(source_key=source_key, source_id=source_id)
        assert (post.views, post.risk, post.sentiment, post.likes) == (views, risk, sentiment, likes)
        again = Post.objects.get(source_key=source_key, source_id=f"x{source_id}")
        assert (again.views, again.risk, again.sentiment, again.likes) == (views, risk, sentiment, 3)


def test_ids_in_finds_what_an_in_list_finds(alpha: Tenant, beta: Tenant) -> None:
    from django.db import connection

    from hikeshi.monitoring.sql import ids_in
    from hikeshi.tenancy.models import Organization

    wanted = [alpha.org.pk, beta.org.pk, 10**12]
    condition, params = ids_in("id", wanted)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {Organization._meta.db_table} WHERE {condition}", params)  # noqa: S608
        assert sorted(pk for (pk,) in cursor.fetchall()) == sorted([alpha.org.pk, beta.org.pk])
    assert len(params) == (1 if connection.vendor == "postgresql" else 3)
