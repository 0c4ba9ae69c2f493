"""Loading an organisation's topic index (``TopicMember`` / ``TopicBand``) for a batch, and keeping it
in memory between the batches of one worker.

The tables are the truth. A worker keeps, per organisation, ALL of its indexed members (content key,
signature, topic, band keys) in memory after a batch has committed, with the number of members and the
highest member id it has seen. The next batch that touches that organisation (holding its profile lock,
see ``mentions.lock_profiles``) checks the cached copy against the counters kept on the profile row
(``index_counts``: members, highest member id, oldest member):

- every change to an organisation's members happens under that lock — inserts by ``topics._save`` and
  deletions by ``prune`` — so ids of members inserted later are higher than any the cache has seen: the
  members another worker added since are ``id > max_id`` (one query for all stale organisations);
- deletions are prunes by ``seen``; the cache prunes itself with the same horizon, and the count must
  then equal the table's, or the copy is dropped and the organisation loaded again from the tables.

A copy is taken out of the cache while a batch uses it and put back only when the batch's transaction
commits (``on_commit``): a batch that rolls back leaves nothing behind. Organisations with more members
than ``CACHE_ORG_MEMBERS`` are not cached; their batches load only the members under the batch's content
and band keys, as every batch did before the cache.

Those partial loads are the only readers of the band rows (``TopicBand``): cached copies and whole
loads compute a member's band keys from its signature and mask. So band rows are written only for
organisations marked ``MonitoringProfile.topic_bands``; the first partial load of an unmarked one fills
its rows from the masks and marks it (``_fill_bands``), in the batch's transaction and under the
profile lock — a batch that rolls back takes both back. The band-row insert was the largest statement
of a batch on the server.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from django.db import connection, transaction

from hikeshi.monitoring import index_counts
from hikeshi.monitoring.models import MonitoringProfile, TopicBand, TopicMember
from hikeshi.monitoring.sql import fast_datetimes, in_list, insert_rows

if TYPE_CHECKING:
    from hikeshi.ingest.topics import Signature
    from hikeshi.monitoring.models import Topic

CACHE_MEMBERS = 100_000
"""Members kept in memory per worker process, all organisations together (1–2 kB each: the signature
alone is 512 bytes); also the most one batch reads whole."""
CACHE_ORG_MEMBERS = 25_000
"""An organisation with more indexed members than this is loaded per batch, never cached."""


@dataclass(slots=True, eq=False)
class Member:
    topic: int | Topic
    signature: Signature | None
    key: str = ""
    seen: datetime | None = None
    pk: int | None = None
    bands: list[int] = field(default_factory=list)
    """The band keys it is stored under (needed to forget it from a cached index)."""


@dataclass(slots=True)
class OrgIndex:
    by_key: dict[str, Member] = field(default_factory=dict)
    by_band: dict[int, list[Member]] = field(default_factory=lambda: defaultdict(list))
    complete: bool = False
    """Holds every member of the organisation (cacheable), not only those a batch asked for."""
    members: dict[int, Member] = field(default_factory=dict)
    """By id, when complete."""
    max_id: int = 0
    oldest: datetime | None = None
    banded: bool = False
    """The organisation's members have band rows (``MonitoringProfile.topic_bands``), so a batch writes
    its new members' rows too. Set by ``load`` for every batch (never trusted from a cached copy: another
    worker may have filled the rows since)."""

    def add_stored(self, member: Member) -> None:
        assert member.pk is not None and member.seen is not None
        self.members[member.pk] = member
        self.max_id = max(self.max_id, member.pk)
        self.oldest = member.seen if self.oldest is None else min(self.oldest, member.seen)

    def prune(self, before: datetime) -> None:
        """Forget members seen before ``before``, as ``prune`` deletes them from the tables (a full
        pass only when the oldest member is that old: about once an hour, see ``topics.horizon``)."""
        if self.oldest is None or self.oldest >= before:
            return
        kept = sorted((m for m in self.members.values() if m.seen is None or m.seen >= before), key=_pk)
        self.members = {m.pk: m for m in kept if m.pk is not None}
        self.oldest = min((m.seen for m in kept if m.seen is not None), default=None)
        self.by_key = {m.key: m for m in kept}
        self.by_band = defaultdict(list)
        for member in kept:
            for band in member.bands:
                self.by_band[band].append(member)


def _pk(member: Member) -> int:
    return member.pk or 0


_CACHE: OrderedDict[tuple[str, int], OrgIndex] = OrderedDict()
"""(database, organisation id) → complete index, least recently used first."""


def clear_cache() -> None:
    _CACHE.clear()


def _database() -> str:
    return f"{connection.vendor}:{connection.settings_dict['NAME']}"


def aware(value: Any) -> datetime:
    """``seen`` as read by a raw cursor: aware on PostgreSQL, naive UTC (or text) on SQLite."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def prune(org_ids: list[int], before: datetime, banded: Iterable[int] | None = None) -> None:
    """Delete these organisations' members seen before ``before`` and their bands (only ``banded``
    organisations have any; None: look for all). Plain SQL: nothing else refers to a member (the ORM's
    cascade first read every stale member to find their bands)."""
    if not org_ids:
        return
    member, band = TopicMember._meta.db_table, TopicBand._meta.db_table
    with connection.cursor() as cursor:
        with_bands = org_ids if banded is None else sorted(set(org_ids) & set(banded))
        if with_bands:
            stale_ids = f"SELECT id FROM {member} WHERE {_stale(with_bands)}"  # noqa: S608 (metadata only)
            delete_bands = f"DELETE FROM {band} WHERE member_id IN ({stale_ids})"  # noqa: S608
            cursor.execute(delete_bands, _stale_params(with_bands, before))
        delete_members = f"DELETE FROM {member} WHERE {_stale(org_ids)}"  # noqa: S608
        cursor.execute(delete_members, _stale_params(org_ids, before))


def _stale(org_ids: list[int]) -> str:
    return f"organization_id IN ({', '.join(['%s'] * len(org_ids))}) AND seen < %s"


def _stale_params(org_ids: list[int], before: datetime) -> list[Any]:
    return [*org_ids, connection.ops.adapt_datetimefield_value(before)]


def banded_organisations(org_ids: list[int]) -> set[int]:
    """Which of these organisations have band rows (``MonitoringProfile.topic_bands``), for callers
    that do not hold their profiles' instances."""
    if not org_ids:
        return set()
    table = MonitoringProfile._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT organization_id FROM {table} WHERE topic_bands AND organization_id IN ({', '.join(['%s'] * len(org_ids))})",  # noqa: S608
            org_ids,
        )
        return {int(org_id) for (org_id,) in cursor.fetchall()}


def load(
    org_ids: list[int],
    wanted_keys: Callable[[], tuple[list[str], list[int]]],
    pruned_before: datetime,
    banded: set[int] | None = None,
) -> dict[int, OrgIndex]:
    """The index of each organisation for a batch, after forgetting the members seen before
    ``pruned_before`` (``prune``; forgotten posts attract nothing in this batch): the cached copy
    brought up to date, the whole index read from the tables, or (large organisations) the members
    under the batch's keys — ``wanted_keys()``: the batch's content keys and band keys, called only
    when some organisation is loaded in part. ``banded``: the organisations with band rows, as their
    locked profiles say (None: read them). Called with the organisations' profiles locked."""
    database = _database()
    if banded is None:
        banded = banded_organisations(org_ids)
    stats = _pruned_stats(org_ids, pruned_before, banded)
    indexes: dict[int, OrgIndex] = {}
    behind: dict[int, OrgIndex] = {}
    for org_id in org_ids:
        cached = _CACHE.pop((database, org_id), None)
        count, max_id = stats.get(org_id, (0, 0))
        if cached is None:
            continue
        cached.prune(pruned_before)
        if cached.max_id == max_id and len(cached.members) == count:
            indexes[org_id] = cached
        elif cached.max_id < max_id:
            behind[org_id] = cached  # other workers added members since
    if behind:
        _catch_up(behind, stats)
        for org_id, cached in behind.items():
            cached.prune(pruned_before)
            if (len(cached.members), cached.max_id) == stats[org_id]:
                indexes[org_id] = cached
    # Whole reads only as far as the cache can hold them: a batch touching many large organisations
    # must not read millions of members at once.
    room = CACHE_MEMBERS - sum(len(index.members) for index in indexes.values())
    whole: list[int] = []
    for org_id in org_ids:
        count = stats.get(org_id, (0, 0))[0]
        if org_id not in indexes and count <= min(CACHE_ORG_MEMBERS, room):
            whole.append(org_id)
            room -= count
    if whole:
        indexes.update(_load_whole(whole))
    partial = [o for o in org_ids if o not in indexes]
    if partial:
        unbanded = [o for o in partial if o not in banded]
        if unbanded:
            _fill_bands(unbanded)
            banded = banded | set(unbanded)
        indexes.update(_load_partial(partial, *wanted_keys()))
    for org_id, index in indexes.items():
        index.banded = org_id in banded
    return indexes


def keep(indexes: dict[int, OrgIndex]) -> None:
    """Put the complete indexes back in the cache once the batch's transaction has committed."""
    database = _database()
    complete = [(org_id, index) for org_id, index in indexes.items() if index.complete]

    def store() -> None:
        for org_id, index in complete:
            _CACHE[(database, org_id)] = index
        total = sum(len(index.members) for index in _CACHE.values())
        while _CACHE and total > CACHE_MEMBERS:
            _key, evicted = _CACHE.popitem(last=False)
            total -= len(evicted.members)

    if complete:
        transaction.on_commit(store)


def _pruned_stats(org_ids: list[int], before: datetime, banded: set[int]) -> dict[int, tuple[int, int]]:
    """``_stats`` after ``prune``: the delete statements run only for organisations whose oldest member
    is older than ``before`` (the horizon moves in steps, so about once a step), and only their stats
    are read again."""
    stats, stale = _stats(org_ids, before)
    if stale:
        prune(stale, before, banded)
        index_counts.recount(stale)
        for org_id in stale:
            stats.pop(org_id, None)
        stats.update(_stats(stale, before)[0])
    return stats


def _stats(org_ids: list[int], before: datetime) -> tuple[dict[int, tuple[int, int]], list[int]]:
    """(members, highest member id) per organisation, and the organisations with members seen before
    ``before``: the counters on their profiles (``index_counts``), not an aggregate over the members."""
    counts = index_counts.read(org_ids)
    stats = {org_id: (c.members, c.max_id) for org_id, c in counts.items() if c.members}
    stale = sorted(
        org_id for org_id, c in counts.items() if c.oldest is not None and aware(c.oldest) < before
    )
    return stats, stale


_COLUMNS = "id, organization_id, topic_id, content_key, seen, signature, band_mask"


def _rows(condition: str, params: list[Any]) -> list[tuple[Any, ...]]:
    table = TopicMember._meta.db_table
    with fast_datetimes(connection.cursor()) as cursor:
        cursor.execute(f"SELECT {_COLUMNS} FROM {table} WHERE {condition} ORDER BY id", params)  # noqa: S608
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def _member(row: tuple[Any, ...], signature_row: Signature | None = None) -> Member:
    """A member from its row; ``signature_row``: its signature already read (``_signature_matrix``)."""
    pk, _org_id, topic_id, key, seen, signature, _band_mask = row
    if signature_row is not None:
        value: Signature | None = signature_row
    else:
        value = None if signature is None else np.frombuffer(bytes(signature), dtype=np.uint64)
    return Member(int(topic_id), value, str(key), aware(seen), int(pk))


def _signature_matrix(rows: list[tuple[Any, ...]]) -> npt.NDArray[np.uint64] | None:
    """The rows' signatures as one read-only (rows × hashes) matrix, or None unless every row has
    one of the same length (then each is read on its own). The members' signatures are rows of it,
    so its bytes live as long as one of them does: members read together were stored about together
    and are pruned about together (at worst a whole load's block outlives most of its members by the
    index memory, 3 days)."""
    if not rows:
        return None
    sizes = {None if row[5] is None else len(row[5]) for row in rows}
    if len(sizes) != 1 or None in sizes:
        return None
    (size,) = sizes
    if not size or size % 8:
        return None
    matrix: npt.NDArray[np.uint64] = np.frombuffer(b"".join([row[5] for row in rows]), dtype=np.uint64)
    return matrix.reshape(len(rows), size // 8)


def _bands_of_members(member_ids: list[int]) -> list[tuple[int, int]]:
    """(band key, member id) of the given members, in insertion order."""
    if not member_ids:
        return []
    condition, params = in_list("member_id", member_ids, "bigint")
    table = TopicBand._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT band_key, member_id FROM {table} WHERE {condition} ORDER BY id", params)  # noqa: S608
        rows: list[tuple[int, int]] = cursor.fetchall()
        return rows


def _add_rows(indexes: dict[int, OrgIndex], rows: Iterable[tuple[Any, ...]]) -> None:
    """Add stored members and their bands to complete indexes (rows in id order). A member's band keys
    are computed from its signature and ``band_mask`` (one numpy pass for all of them) instead of
    read: the band-row reads cost the server 0.09-0.15 s per 6,000-post benchmark run (two workers),
    the computing costs the worker no more than fetching the rows did (measured). Only members stored
    before the mask existed have their band rows read."""
    from hikeshi.monitoring.topics import band_key_rows  # topics imports this module

    rows = list(rows)
    # The signatures of all the rows as one matrix (one copy of the bytes), each member's signature
    # a row of it: one array per row from its own bytes, and then a matrix of the masked ones for
    # their band keys, cost about twice as much (timed on a catch-up's rows).
    signatures = _signature_matrix(rows)
    added: list[tuple[OrgIndex, Member, int | None]] = []
    masked: list[tuple[int, Member]] = []
    masked_rows: list[int] = []
    for number, row in enumerate(rows):
        org_id = int(row[1])
        index = indexes[org_id]
        member = _member(row, None if signatures is None else signatures[number])
        index.add_stored(member)
        index.by_key[member.key] = member
        mask = row[6]
        added.append((index, member, None if mask is None else int(mask)))
        if mask and member.signature is not None:
            masked.append((org_id, member))
            masked_rows.append(number)
    computed: dict[int, list[int]] = {}
    if masked:
        matrix = (
            np.array([member.signature for _org_id, member in masked])
            if signatures is None
            else signatures[masked_rows]
        )
        for (_org_id, member), keys in zip(
            masked, band_key_rows([o for o, _m in masked], matrix), strict=True
        ):
            computed[id(member)] = keys
    read: dict[int, list[int]] = defaultdict(list)
    for band, member_id in _bands_of_members(sorted(m.pk for _i, m, mask in added if mask is None and m.pk)):
        read[member_id].append(band)
    # in member id order, as the band rows were written: the same order in each band's list as a read
    for index, member, mask in added:
        if mask is None:
            bands = read.get(member.pk or 0, [])
        else:
            keys = computed.get(id(member), [])
            bands = [key for band, key in enumerate(keys) if mask >> band & 1]
        for band in bands:
            member.bands.append(band)
            index.by_band[band].append(member)


def _load_whole(org_ids: list[int]) -> dict[int, OrgIndex]:
    indexes = {org_id: OrgIndex(complete=True) for org_id in org_ids}
    # every one of them, whatever its counters say: what is loaded whole must not depend on them
    condition = "organization_id IN (" + ", ".join(["%s"] * len(org_ids)) + ")"
    _add_rows(indexes, _rows(condition, list(org_ids)))
    return indexes


def _catch_up(behind: dict[int, OrgIndex], stats: dict[int, tuple[int, int]]) -> None:
    """Add the members other workers stored since each cached copy was taken (one query).

    The id range that holds them all is bounded on both sides (above by the highest id ``_stats``
    read): with a closed range the planner walks the primary key over the recent rows even without
    column statistics (autovacuum off, as on the benchmark's server), where the organisations'
    conditions alone made it scan the whole member table each batch (0.75 s of server CPU per
    20,000-post run, the largest statement after the band rows went)."""
    low = min(index.max_id for index in behind.values())
    high = max(stats[org_id][1] for org_id in behind)
    condition = " OR ".join(["(organization_id = %s AND id > %s)"] * len(behind))
    params: list[Any] = [low, high]
    for org_id, index in sorted(behind.items()):
        params += [org_id, index.max_id]
    _add_rows(behind, _rows(f"id > %s AND id <= %s AND ({condition})", params))


FILL_PAGE = 20_000
"""Members read and given band rows per statement by ``_fill_bands``."""


def _fill_bands(org_ids: list[int]) -> None:
    """Give every member of these organisations its band rows, computed from its signature and mask,
    and mark the organisations (``MonitoringProfile.topic_bands``): once in an organisation's life,
    when its index is first loaded in part. Members without a mask (stored before migration 0010) keep
    the rows they have; rows of the others are written afresh (none exist unless a profile was created
    after its organisation's members, so the fill is exact either way)."""
    from hikeshi.monitoring.topics import band_key_rows  # topics imports this module

    member, band = TopicMember._meta.db_table, TopicBand._meta.db_table
    by_org = f"organization_id IN ({', '.join(['%s'] * len(org_ids))})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {band} WHERE member_id IN (SELECT id FROM {member} WHERE {by_org} AND band_mask IS NOT NULL)",  # noqa: S608
            org_ids,
        )
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, organization_id, signature, band_mask FROM {member} "  # noqa: S608
                f"WHERE {by_org} AND id > %s AND band_mask IS NOT NULL ORDER BY id LIMIT %s",
                [*org_ids, last, FILL_PAGE],
            )
            rows = cursor.fetchall()
        if not rows:
            break
        last = int(rows[-1][0])
        signed = [row for row in rows if row[2] is not None and row[3]]
        if signed:
            signatures = np.array([np.frombuffer(bytes(row[2]), dtype=np.uint64) for row in signed])
            keys = band_key_rows([int(row[1]) for row in signed], signatures)
            insert_rows(
                TopicBand,
                ["member", "band_key"],
                [
                    (int(row[0]), key)
                    for row, row_keys in zip(signed, keys, strict=True)
                    for i, key in enumerate(row_keys)
                    if int(row[3]) >> i & 1
                ],
            )
    MonitoringProfile.objects.filter(organization_id__in=org_ids).update(topic_bands=True)


def _load_partial(org_ids: list[int], content_keys: list[str], band_keys: list[int]) -> dict[int, OrgIndex]:
    """The members that could matter to this batch: same content key or a shared band key."""
    by_key, key_params = in_list("content_key", content_keys, "text")
    by_org = "organization_id IN (" + ", ".join(["%s"] * len(org_ids)) + ")"
    rows = {row[0]: row for row in _rows(f"{by_org} AND {by_key}", [*org_ids, *key_params])}
    band_rows = _band_members(band_keys)
    missing = sorted({pk for _band, pk in band_rows} - rows.keys())
    if missing:
        by_id, id_params = in_list("id", missing, "bigint")
        rows.update((row[0], row) for row in _rows(by_id, id_params))
    indexes = {org_id: OrgIndex() for org_id in org_ids}
    members: dict[int, tuple[int, Member]] = {}
    for pk, row in rows.items():
        org_id = int(row[1])
        if org_id not in indexes:
            continue
        member = _member(row)
        members[pk] = (org_id, member)
        indexes[org_id].by_key[member.key] = member
    for band, pk in band_rows:
        found = members.get(pk)
        if found is not None:
            indexes[found[0]].by_band[band].append(found[1])
    return indexes


def _band_members(keys: list[int]) -> list[tuple[int, int]]:
    """(band key, member id) under each key: at most MAX_PER_BAND each, as no more are ever written."""
    if not keys:
        return []
    condition, params = in_list("band_key", keys, "bigint")
    table = TopicBand._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT band_key, member_id FROM {table} WHERE {condition}", params)  # noqa: S608
        rows: list[tuple[int, int]] = cursor.fetchall()
        return rows
