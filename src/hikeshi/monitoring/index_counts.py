"""What each organisation's topic index holds — its members, the highest member id, the oldest member's
``seen`` — kept on the organisation's ``MonitoringProfile`` row.

A worker checks its cached copy of an index against these before every batch (``topic_index.load``).
They used to be one aggregate over the organisation's members, which read every member of the last three
days for every batch: a cost that grew with the index (0.2 s of a 20,000-post benchmark run on an empty
database; seconds a batch for an organisation with a million recent members, in a firestorm). The
counters are changed where the members are, under the profile lock and in the same transaction:
``record_added`` after a batch inserts members, ``recount`` (the old aggregate, for those organisations
only) after a prune. Correctness does not rest on them: a cached copy is used only when they match it
exactly, and a copy that does not match is read again from the members themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from hikeshi.monitoring.models import MonitoringProfile, TopicMember
from hikeshi.monitoring.sql import ids_in, pg_bigint_array


@dataclass(frozen=True, slots=True)
class IndexCounts:
    members: int
    max_id: int
    oldest: Any
    """The oldest member's ``seen`` as the database returns it (text on SQLite); None without members."""


def read(org_ids: list[int]) -> dict[int, IndexCounts]:
    """The counters of these organisations' profiles (one look-up by the profiles' unique key)."""
    if not org_ids:
        return {}
    condition, params = ids_in("organization_id", org_ids)
    sql = (
        "SELECT organization_id, index_members, index_max_id, index_oldest "  # noqa: S608
        f"FROM {MonitoringProfile._meta.db_table} WHERE {condition}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {int(org): IndexCounts(int(members), int(max_id), oldest) for org, members, max_id, oldest in rows}


def record_added(added: Iterable[tuple[int, int, datetime]]) -> None:
    """Count members just inserted: (organisation, member id, seen) each."""
    per_org: dict[int, tuple[int, int, datetime]] = {}
    for org_id, member_id, seen in added:
        n, top, oldest = per_org.get(org_id, (0, 0, seen))
        per_org[org_id] = (n + 1, max(top, member_id), min(oldest, seen))
    if not per_org:
        return
    table = MonitoringProfile._meta.db_table
    rows = sorted(per_org.items())
    if connection.vendor == "postgresql":
        # one statement for the group's organisations (one per organisation cost about as much as the
        # aggregate it replaces, at the benchmark's scale); LEAST ignores the NULL of an empty index
        sql = (
            f"UPDATE {table} AS p SET index_members = p.index_members + v.n, "  # noqa: S608
            "index_max_id = GREATEST(p.index_max_id, v.top), index_oldest = LEAST(p.index_oldest, v.oldest) "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::timestamptz[]) AS v(org, n, top, oldest) "
            "WHERE p.organization_id = v.org"
        )
        params: list[Any] = [
            pg_bigint_array(org_id for org_id, _ in rows),
            pg_bigint_array(n for _, (n, _top, _old) in rows),
            pg_bigint_array(top for _, (_n, top, _old) in rows),
            [oldest for _, (_n, _top, oldest) in rows],
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    sql = (
        f"UPDATE {table} SET index_members = index_members + %s, index_max_id = MAX(index_max_id, %s), "  # noqa: S608
        "index_oldest = CASE WHEN index_oldest IS NULL OR index_oldest > %s THEN %s ELSE index_oldest END "
        "WHERE organization_id = %s"
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            sql, [(n, top, adapt(oldest), adapt(oldest), org_id) for org_id, (n, top, oldest) in rows]
        )


def recount(org_ids: list[int]) -> None:
    """Set these organisations' counters from their members (after a prune; also the migration's fill)."""
    if not org_ids:
        return
    profile, member = MonitoringProfile._meta.db_table, TopicMember._meta.db_table
    condition, params = ids_in("organization_id", org_ids)
    of_org = f"FROM {member} m WHERE m.organization_id = {profile}.organization_id"
    sql = (
        f"UPDATE {profile} SET index_members = (SELECT COUNT(*) {of_org}), "  # noqa: S608
        f"index_max_id = COALESCE((SELECT MAX(m.id) {of_org}), 0), "
        f"index_oldest = (SELECT MIN(m.seen) {of_org}) WHERE {condition}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
