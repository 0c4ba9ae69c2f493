"""Monitoring (平時対策): what each organisation watches, where posts come from, the posts themselves
(stored once for every organisation), mentions, topics (火種), per-series time buckets and failures."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hikeshi.tenancy.models import Organization, TenantModel

BUCKET_SECONDS = 300
"""Series buckets are 5 minutes: fine enough to see a firestorm start, coarse enough to stay small."""


class MonitoringProfile(TenantModel):
    """Per-organisation words passed to the analysis engine as CustomTerms. The pipeline locks this row
    while it groups the organisation's posts into topics, so two workers never split one story."""

    confidential_terms = models.JSONField(
        _("機密語 (未発表の商品名・コードネーム)"), default=list, blank=True
    )
    vip_names = models.JSONField(_("VIP の名前"), default=list, blank=True)
    own_names = models.JSONField(_("自社の呼び名"), default=list, blank=True)
    topic_bands = models.BooleanField(default=False, editable=False)
    """Every ``TopicMember`` of the organisation has its ``TopicBand`` rows. Band rows are read only by
    partial loads of the topic index (organisations too large for a worker's cache, see
    ``topic_index``), so they are written only for organisations that have needed one: the first such
    load fills them from the members' band masks and sets this, under this row's lock, in the batch's
    transaction. Never cleared (a later fill would duplicate rows)."""
    index_members = models.PositiveIntegerField(default=0, editable=False)
    index_max_id = models.BigIntegerField(default=0, editable=False)
    index_oldest = models.DateTimeField(null=True, editable=False)
    """What the organisation's topic index holds (members, highest member id, oldest ``seen``), kept
    with the members under this row's lock: see ``index_counts``."""
    audit_fields = ("confidential_terms", "vip_names", "own_names")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["organization"], name="one_monitoring_profile_per_org")
        ]

    def __str__(self) -> str:
        return f"profile of {self.organization_id}"


class WatchRule(TenantModel):
    name = models.CharField(_("名前"), max_length=200)
    terms = models.JSONField(_("監視語"), default=list)
    """[{"name": "サンプル食品", "variants": ["さんぷる食品", "sample foods"]}, ...]"""
    exclusions = models.JSONField(_("除外語"), default=list, blank=True)
    query = models.CharField(_("条件式 (AND / OR / NOT)"), max_length=1000, blank=True)
    active = models.BooleanField(_("有効"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    audit_fields = ("name", "terms", "exclusions", "query", "active")

    class Meta:
        ordering: ClassVar[list[str]] = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def term_names(self) -> list[str]:
        return [str(t.get("name", "")) for t in self.terms]


class SourceKind(models.TextChoices):
    RSS = "rss", _("RSS/Atom フィード")
    PAGE = "page", _("Web ページ (掲示板・記事)")
    FILE = "file", _("ファイル取り込み")
    PUSH = "push", _("API 送信")


POLLED_KINDS = (SourceKind.RSS, SourceKind.PAGE)


class PageRecipe(models.TextChoices):
    """How a page source is read (``hikeshi.ingest.recipes``)."""

    AUTO = "auto", _("自動 (スレッド、なければ本文)")
    THREAD = "thread", _("掲示板スレッド (5ch 形式)")
    REVIEWS = "reviews", _("レビューページ")
    MATOME = "matome", _("まとめ記事 (引用されたレス)")
    ARTICLE = "article", _("記事 (本文)")
    CUSTOM = "custom", _("カスタム (CSS セレクタ)")


class Source(TenantModel):
    kind = models.CharField(_("種類"), max_length=10, choices=SourceKind.choices)
    name = models.CharField(_("名前"), max_length=200, blank=True)
    url = models.URLField(_("URL"), max_length=2000, blank=True)
    schedule_seconds = models.PositiveIntegerField(_("取得間隔 (秒)"), default=900)
    recipe = models.CharField(_("読み取り方"), max_length=10, choices=PageRecipe.choices, default="auto")
    """For page sources: which extraction recipe reads the page."""
    selectors = models.JSONField(_("CSS セレクタ"), default=dict, blank=True)
    """For the custom recipe: ``item``, ``text`` and optionally ``author``, ``date``, ``permalink``."""
    active = models.BooleanField(_("有効"), default=True)
    state = models.JSONField(default=dict, blank=True)
    """The ingest poll state (validators, cursor); advanced only when the items it produced are stored."""
    arrivals = models.JSONField(default=list, blank=True)
    """ISO times of recent fetches that brought new items, for the silent-source warning."""
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    items_last_fetch = models.PositiveIntegerField(default=0)
    items_total = models.PositiveIntegerField(default=0)
    consecutive_errors = models.PositiveIntegerField(default=0)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    audit_fields = ("kind", "name", "url", "schedule_seconds", "recipe", "selectors", "active")

    class Meta:
        ordering: ClassVar[list[str]] = ["kind", "name", "id"]

    def __str__(self) -> str:
        return self.name or self.url or self.get_kind_display()

    @property
    def source_key(self) -> str:
        """Identity of the place posts come from, shared by organisations watching the same feed."""
        if self.kind in POLLED_KINDS:
            return f"{self.kind}:{self.url}"
        return f"{self.kind}:{self.organization_id}:{self.name or self.pk}"


class Post(models.Model):
    """A post as found on the internet, stored once however many organisations it concerns."""

    source_key = models.CharField(max_length=2100)
    source_id = models.CharField(max_length=1000)
    content_hash = models.CharField(max_length=64, blank=True)
    """Indexed in Meta: ``db_index`` would add a second, pattern-matching index on PostgreSQL that no
    query uses (content keys are looked up by equality only)."""
    copy_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    """Indexed in Meta for the copies only: the ORM's ``SET_NULL`` on a deletion is its only look-up, and
    most posts are no copy (a full index took one more B-tree insertion per post)."""
    text = models.TextField()
    title = models.CharField(max_length=500, blank=True)
    url = models.CharField(max_length=4096, blank=True)
    author = models.CharField(max_length=300, blank=True)
    origin = models.CharField(max_length=200, blank=True)
    """Where the source itself says the post came from (site, platform)."""
    reply_to = models.CharField(max_length=1000, blank=True, default="")
    """The ``source_id`` of the post of the same source this one answers, quotes or comments on ("" for
    none). Kept as the source's id, not a foreign key: a reply may arrive before its parent (it is
    followed when the parent arrives, see ``replies``), and a key check would cost every post of a
    firehose for the few that reply; the index on it holds the replies only."""
    published_at = models.DateTimeField()
    """Not indexed: pages, feeds and series read posts through their mentions (organisation and time),
    never by the post's own time; an index here cost every post of a firehose one B-tree insertion."""
    fetched_at = models.DateTimeField(auto_now_add=True)
    reposts = models.PositiveIntegerField(null=True, blank=True)
    likes = models.PositiveIntegerField(null=True, blank=True)
    replies = models.PositiveIntegerField(null=True, blank=True)
    author_followers = models.PositiveIntegerField(null=True, blank=True)
    views = models.PositiveBigIntegerField(null=True, blank=True)
    risk = models.FloatField(default=0.0)
    level = models.CharField(max_length=10, default="none")
    categories = models.JSONField(default=list, blank=True)
    """Category codes, strongest first."""
    toxicity = models.FloatField(default=0.0)
    sentiment = models.FloatField(default=0.0)
    judgement = models.JSONField(default=dict, blank=True)
    """The full Judgement.to_dict() (evidence spans index ``text``)."""

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["source_key", "source_id"], name="post_once_per_source_id")
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["content_hash"], name="post_content_hash"),
            models.Index(fields=["copy_of"], name="post_copy_of", condition=Q(copy_of__isnull=False)),
            # Replies only (most posts answer nothing): the batch that brings a post finds the replies
            # that arrived before it (replies.early_replies).
            models.Index(fields=["source_key", "reply_to"], name="post_reply_to", condition=~Q(reply_to="")),
        ]

    def __str__(self) -> str:
        return self.text[:50]


class Topic(TenantModel):
    """A story (火種): near-duplicate posts, copies and replies grouped by the topic index."""

    # No index of its own: (organization, key) and (organization, level, last_activity) start with it.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=64)
    first_post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    post_count = models.PositiveIntegerField(default=0)
    sources = models.JSONField(default=dict, blank=True)
    first_seen = models.DateTimeField()
    last_activity = models.DateTimeField(db_index=True)
    level = models.PositiveSmallIntegerField(default=0)
    explanation = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-last_activity"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["organization", "key"], name="topic_key_per_org")
        ]
        indexes: ClassVar[list[models.Index]] = [
            # The dashboard's "active topics": hottest first, without sorting every topic of the org.
            models.Index(fields=["organization", "-level", "-last_activity"], name="topic_org_level_activity")
        ]

    def __str__(self) -> str:
        return self.key


class TopicMember(TenantModel):
    """A recent post in an organisation's topic index: later posts with the same content key join its
    topic, and posts with a similar MinHash signature are found through its TopicBand rows. Rows older
    than the index memory (3 days) are pruned, so the table stays proportional to recent traffic.

    Index rows written in bulk by the pipeline under the organisation's profile lock: their foreign keys
    have no database constraint (deletions still cascade, through the ORM). The constraints' checks at
    commit were a large share of the PostgreSQL server's work per post, and an orphan can only mislead
    the index, which joins members to their topics by id and skips what it does not find."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    content_key = models.CharField(max_length=64)
    seen = models.DateTimeField()
    signature = models.BinaryField(null=True)
    """64 little-endian uint64 MinHash values; None for content too short to compare by similarity."""
    band_mask = models.IntegerField(null=True)
    """Which of the signature's 16 band keys it is indexed under (bit i: band i), so that a worker
    bringing its index up to date computes them from the signature instead of reading band rows (which
    exist only where ``MonitoringProfile.topic_bands`` is set). None for members stored before it
    existed: their band rows are read."""

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["organization", "content_key"], name="topic_member_once")
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["organization", "seen"], name="topic_member_org_seen")
        ]


class TopicBand(models.Model):
    """One LSH band of a member's signature. ``band_key`` hashes the organisation, the band number and
    the band's values, so one indexed ``band_key IN (...)`` finds every candidate of a batch; a hash
    collision only adds a candidate, which the signature comparison then rejects. Written and pruned
    with plain SQL: a batch adds 16 rows per post, too many to build as model instances. Only for
    organisations with ``MonitoringProfile.topic_bands`` (those whose index is loaded in part)."""

    member = models.ForeignKey(TopicMember, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    """No database constraint (see ``TopicMember``): 16 checks per post at commit, for a row that
    ``topic_index`` reads only together with its member."""
    band_key = models.BigIntegerField(db_index=True)

    def __str__(self) -> str:
        return f"band {self.band_key} of member {self.member_id}"


class Mention(TenantModel):
    """A post that concerns an organisation, through a rule (None: pushed or imported by the org).

    The foreign keys have no single-column indexes: each starts one of the composite indexes below
    (organisation, rule, source and topic each with the time; the post with the unique constraints),
    which serve the same look-ups; a mention is written once and indexed 11 times instead of 15.

    Only the post's key is a database constraint. The organisation, rule, source and topic keys are kept
    by the ORM (deletions cascade or set null through it) and by the pipeline, which writes mentions
    under the organisation's profile lock and drops those whose rule has gone (``do_delete_rule`` takes
    the same lock; organisations, sources and topics are never deleted by the application). On
    PostgreSQL each constraint locked its parent row at commit, once per mention, and workers storing
    the same organisations' mentions shared those locks (multixacts): about a tenth of the server's
    work per post (see docs/monitoring-throughput.md, "Ninth round")."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="mentions")
    rule = models.ForeignKey(
        WatchRule,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    source = models.ForeignKey(
        Source,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    topic = models.ForeignKey(
        Topic,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mentions",
        db_index=False,
        db_constraint=False,
    )
    posted_at = models.DateTimeField()
    bucket_start = models.DateTimeField()
    spans = models.JSONField(default=list, blank=True)
    """[[start, end], ...] of the watched words in the post text."""
    risk = models.FloatField(default=0.0)
    level = models.CharField(max_length=10, default="none")
    categories = models.JSONField(default=list, blank=True)
    negative = models.BooleanField(default=False)
    judgement = models.JSONField(null=True, blank=True)
    """The organisation's own judgement when its CustomTerms changed it; None: the post's."""
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["post", "organization", "rule"],
                condition=Q(rule__isnull=False),
                name="mention_once_per_rule",
            ),
            models.UniqueConstraint(
                fields=["post", "organization"], condition=Q(rule__isnull=True), name="mention_once_unruled"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["organization", "posted_at"], name="mention_org_time"),
            # The dashboard's riskiest recent posts: risk, then time, both from the index (many mentions
            # share a risk value; with (organization, risk) alone every one of them was sorted by time).
            models.Index(fields=["organization", "risk", "posted_at"], name="mention_org_risk_time"),
            models.Index(fields=["organization", "bucket_start"], name="mention_org_bucket"),
            # The feed's filters, each read newest first and stopped after one page (see views.feed).
            models.Index(fields=["organization", "level", "posted_at"], name="mention_org_level_time"),
            models.Index(fields=["source", "posted_at"], name="mention_source_time"),
            models.Index(fields=["rule", "posted_at"], name="mention_rule_time"),
            models.Index(fields=["topic", "posted_at"], name="mention_topic_time"),
        ]


class SeriesBucket(TenantModel):
    """Counts of one series (a rule, a topic, or the whole organisation) for one 5-minute bucket.

    Counted from the mentions each batch creates (``buckets``); a mention is created once, so
    re-running a batch cannot double them."""

    # No index of its own: the unique (organization, series, bucket_start) starts with it.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    series = models.CharField(max_length=40)
    """``org``, ``rule:<id>`` or ``topic:<id>``."""
    bucket_start = models.DateTimeField()
    mentions = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(default=0)
    reposts = models.PositiveIntegerField(default=0)
    authors = models.PositiveIntegerField(default=0)
    author_keys = models.BinaryField(null=True, blank=True)
    """The distinct authors counted in ``authors``: their names' 64-bit BLAKE2b hashes, sorted, as
    little-endian bytes (``buckets.author_key``), so that a batch adds its authors without reading the
    bucket's mentions. NULL for a bucket stored before it existed (recounted when next touched)."""

    class Meta:
        ordering: ClassVar[list[str]] = ["bucket_start"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["organization", "series", "bucket_start"], name="bucket_once")
        ]


class SeriesState(TenantModel):
    """The burst detector of one series and its latest assessment."""

    # No index of its own: the unique (organization, series) starts with it.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    series = models.CharField(max_length=40)
    detector = models.JSONField(default=dict, blank=True)
    scored_until = models.DateTimeField(null=True, blank=True)
    """Start of the last closed bucket fed to the detector (buckets are fed once, in order)."""
    level = models.PositiveSmallIntegerField(default=0)
    score = models.FloatField(default=0.0)
    explanation = models.TextField(blank=True)
    assessed_at = models.DateTimeField(null=True, blank=True)
    pending = models.BooleanField(default=False, db_index=True)
    """New mentions arrived since the last assessment (set by the pipeline, cleared by assess_pending)."""

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["organization", "series"], name="series_state_once")
        ]


class DeadLetterStage(models.TextChoices):
    FETCH = "fetch", _("取得")
    NORMALISE = "normalise", _("正規化")
    STORE = "store", _("保存")


class DeadLetter(TenantModel):
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    stage = models.CharField(max_length=20, choices=DeadLetterStage.choices)
    payload = models.JSONField(default=dict, blank=True)
    error = models.TextField()
    attempts = models.PositiveIntegerField(default=1)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.stage}: {self.error[:60]}"


class FeedbackVerdict(models.TextChoices):
    RISKY = "risky", _("リスクあり")
    NOT_RISKY = "not_risky", _("リスクなし")


class PostFeedback(TenantModel):
    """An operator's judgement of a post, kept to retrain the organisation's model."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    verdict = models.CharField(max_length=12, choices=FeedbackVerdict.choices)
    category = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now=True)

    audit_fields = ("post", "verdict", "category")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["organization", "post", "user"], name="feedback_once_per_user")
        ]


class FeedbackModel(TenantModel):
    """An organisation's adjustment trained from its PostFeedback (see ``feedback``): sparse logistic
    weights over the analysis engine's hashed n-gram buckets, one row per class."""

    fingerprint = models.CharField(max_length=200)
    """Of the feedback it was trained on: training is skipped while it still matches."""
    examples = models.PositiveIntegerField(default=0)
    classes = models.JSONField(default=list)
    """``risky`` and/or category codes, in the order of the weight rows."""
    buckets = models.BinaryField()
    """Little-endian int32 bucket ids, sorted."""
    weights = models.BinaryField()
    """Little-endian float32, classes × buckets."""
    trained_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["organization"], name="one_feedback_model_per_org")
        ]

    def __str__(self) -> str:
        return f"feedback model of {self.organization_id} ({self.examples} examples)"


def profile_for(organization: Organization) -> MonitoringProfile:
    profile, _created = MonitoringProfile.objects.get_or_create(organization=organization)
    return profile
