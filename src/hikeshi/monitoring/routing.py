"""Watch rules in the database → one ingest Router over every organisation's rules.

The process keeps one RouterCache. Before a batch, a single aggregate query (count and latest update of
the active rules) tells whether the rule set changed; only then are the rules read and the automaton
rebuilt — the cache rebuilds only when the fingerprint changes too.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.models import Count, Max

from hikeshi.ingest import routing as ingest_routing
from hikeshi.ingest.errors import QuerySyntaxError, RuleError
from hikeshi.ingest.query import parse_query
from hikeshi.monitoring.models import WatchRule

_lock = threading.Lock()
_cache = ingest_routing.RouterCache()
_seen_version: tuple[Any, ...] | None = None


def to_ingest_rule(rule: WatchRule) -> ingest_routing.WatchRule:
    terms = tuple(
        ingest_routing.WatchTerm(str(t["name"]), tuple(str(v) for v in t.get("variants", ())))
        for t in rule.terms
        if t.get("name")
    )
    return ingest_routing.WatchRule(
        rule_id=rule.pk,
        org_id=rule.organization_id,
        terms=terms,
        exclude=tuple(str(e) for e in rule.exclusions),
        query=rule.query or None,
    )


def validate_rule(
    *, terms: list[dict[str, Any]], exclusions: list[str], query: str, rule_id: object = "new"
) -> None:
    """Raise RuleError / QuerySyntaxError with a message people can act on."""
    if query:
        parse_query(query)
    candidate = ingest_routing.WatchRule(
        rule_id=rule_id,
        org_id="check",
        terms=tuple(ingest_routing.WatchTerm(t["name"], tuple(t.get("variants", ()))) for t in terms),
        exclude=tuple(exclusions),
        query=query or None,
    )
    if not candidate.terms and not query:
        raise RuleError("a rule needs at least one term or a query")
    ingest_routing.Router([candidate])


def _compiles(rule: ingest_routing.WatchRule) -> bool:
    try:
        ingest_routing.Router([rule])
    except (RuleError, QuerySyntaxError):
        return False
    return True


def current_router() -> ingest_routing.Router:
    """The router over all active rules of all organisations, rebuilt only when they changed."""
    global _seen_version
    active = WatchRule.objects.filter(active=True)
    stats = active.aggregate(n=Count("id"), latest=Max("updated_at"), top=Max("id"))
    version = (stats["n"], stats["latest"], stats["top"])
    with _lock:
        if version != _seen_version:
            rules = [to_ingest_rule(rule) for rule in active.order_by("id")]
            try:
                _cache.update(rules)
            except (RuleError, QuerySyntaxError):
                # A rule saved before a validation change must not stop routing for every client.
                _cache.update([rule for rule in rules if _compiles(rule)])
            _seen_version = version
        return _cache.router
