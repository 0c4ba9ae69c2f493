"""REST routes of the monitoring app, mounted under /api/v1/ by hikeshi.api.routes.

``POST /api/v1/ingest`` takes a batch of posts from a crawler the client already runs; the organisation
is the token's. ``POST /api/v1/orgs/{org}/ingest`` is the same for a browser session (or a token of
that organisation). Each item gets its own status, so one bad row never rejects the batch.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import Field, ValidationError

from hikeshi.api.auth import access_org_by_api
from hikeshi.api.models import APIToken
from hikeshi.audit.context import Actor, acting_as
from hikeshi.ingest.files import JST, row_to_item
from hikeshi.ingest.items import IngestedItem
from hikeshi.monitoring.actions import do_ingest_push
from hikeshi.monitoring.models import Mention
from hikeshi.monitoring.serialize import mention_json
from hikeshi.tenancy.models import Organization

router = Router(tags=["monitoring"])

MAX_BATCH = 1000


class PushedPost(Schema):
    text: str = Field(max_length=20_000)
    id: str | None = Field(default=None, max_length=1000)
    url: str | None = Field(default=None, max_length=4096)
    author: str | None = Field(default=None, max_length=300)
    created_at: str | None = Field(default=None, description="ISO 8601; without a timezone, JST")
    title: str | None = Field(default=None, max_length=500)
    source: str | None = Field(default=None, max_length=200, description="site or platform of the post")
    reposts: int | None = None
    likes: int | None = None
    replies: int | None = None
    author_followers: int | None = None
    views: int | None = None
    reply_to: str | None = Field(
        default=None,
        max_length=1000,
        description="id of the post (pushed to this source) that this one answers, quotes or comments on",
    )


class IngestIn(Schema):
    # Items are validated one by one (see PushedPost), so one malformed item is reported as that item's
    # error instead of rejecting the whole batch.
    posts: list[Any] = Field(
        max_length=MAX_BATCH,
        description="objects with text (required), id, url, author, created_at, title, source, reposts, "
        "likes, replies, author_followers, views, reply_to",
    )
    source: str = Field(default="api", max_length=100, description="name of the crawler (one source each)")


class IngestItemOut(Schema):
    index: int
    id: str | None
    status: str = Field(description="accepted | duplicate | error")
    post_id: int | None = None
    copy_of: int | None = None
    error: str = ""


class IngestOut(Schema):
    accepted: int
    duplicates: int
    errors: int
    items: list[IngestItemOut]


def _ingest(request: HttpRequest, organization: Organization, payload: IngestIn) -> IngestOut:
    results: list[IngestItemOut] = []
    items: list[tuple[int, IngestedItem]] = []
    for index, raw in enumerate(payload.posts):
        given_id = str(raw.get("id"))[:1000] if isinstance(raw, dict) and raw.get("id") is not None else None
        try:
            post = PushedPost.model_validate(raw)
            items.append((index, row_to_item(post.dict(), default_source=None, default_tz=JST)))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'item'}: {e['msg']}" for e in exc.errors()
            )
            results.append(IngestItemOut(index=index, id=given_id, status="error", error=problems))
        except ValueError as exc:
            results.append(IngestItemOut(index=index, id=given_id, status="error", error=str(exc)))
    with acting_as(Actor(label=f"api:{payload.source}")):
        batch = do_ingest_push(organization, [it for _i, it in items], source_name=payload.source)
    by_id = {outcome.source_id: outcome for outcome in batch.outcomes}
    for index, it in items:
        outcome = by_id[it.source_id]
        results.append(
            IngestItemOut(
                index=index,
                id=it.source_id,
                status=outcome.status,
                post_id=outcome.post_id,
                copy_of=outcome.copy_of,
                error=outcome.error,
            )
        )
    results.sort(key=lambda r: r.index)
    return IngestOut(
        accepted=sum(1 for r in results if r.status == "accepted"),
        duplicates=sum(1 for r in results if r.status == "duplicate"),
        errors=sum(1 for r in results if r.status == "error"),
        items=results,
    )


@router.post("/ingest", response=IngestOut, summary="Push a batch of posts (organisation token)")
def ingest(request: HttpRequest, payload: IngestIn) -> IngestOut:
    principal = request.auth  # type: ignore[attr-defined]
    if not isinstance(principal, APIToken):
        raise HttpError(400, "use an organisation token, or POST /api/v1/orgs/{org}/ingest from a session")
    access = access_org_by_api(request, principal.organization.slug, require="staff").access
    return _ingest(request, access.organization, payload)


@router.post("/orgs/{org}/ingest", response=IngestOut, summary="Push a batch of posts to one organisation")
def ingest_for_org(request: HttpRequest, org: str, payload: IngestIn) -> IngestOut:
    access = access_org_by_api(request, org, require="staff").access
    return _ingest(request, access.organization, payload)


class MentionOut(Schema):
    id: int
    text: str
    url: str | None
    author: str | None
    published_at: str
    rule: str | None
    topic: int | None
    reply_to: str | None = Field(
        default=None, description="source id of the post this one answers (same source)"
    )
    judgement: dict  # type: ignore[type-arg]


@router.get("/orgs/{org}/monitoring/posts", response=list[MentionOut], summary="Recent posts with judgements")
def list_posts(request: HttpRequest, org: str, since: datetime | None = None, limit: int = 100) -> list[dict]:  # type: ignore[type-arg]
    access = access_org_by_api(request, org, require="staff").access
    mentions = (
        Mention.objects.for_org(access.organization).select_related("post", "rule").order_by("-posted_at")
    )
    if since is not None:
        mentions = mentions.filter(posted_at__gte=since)
    return [mention_json(m) for m in mentions[: max(1, min(limit, 1000))]]
