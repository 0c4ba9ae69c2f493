"""Retraining from operators' feedback: skipped when nothing changed, used when the org's posts are judged."""

from __future__ import annotations

import pytest

from hikeshi.monitoring import feedback
from hikeshi.monitoring.actions import do_record_feedback
from hikeshi.monitoring.models import FeedbackModel, Mention, Post, PostFeedback
from hikeshi.monitoring.pipeline import process_items
from hikeshi.monitoring.tasks import train_feedback_models
from tests.monitoring.helpers import NOW, item
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db

FEED = "rss:https://feed.example/feedback"
# A harmless in-joke of this organisation's customers that the engine reads as an attack.
JOKE = "サンプル食品の弁当、爆発的にうまい。店長を殺す気か"
COMPLAINT = "サンプル食品の店員の態度が最悪。客を見下してる"


def judged(org_id: int, source_id: str) -> Mention:
    return Mention.objects.select_related("post").get(organization_id=org_id, post__source_id=source_id)


def mark(tenant: Tenant, source_id: str, verdict: str, category: str = "") -> None:
    post = Post.objects.get(source_key=FEED, source_id=source_id)
    do_record_feedback(tenant.org, post, user=tenant.admin, verdict=verdict, category=category)


def test_training_runs_only_when_the_feedback_changed(alpha: Tenant, beta: Tenant) -> None:
    process_items([item("j1", JOKE, 50), item("c1", COMPLAINT, 40)], source_key=FEED, now=NOW)
    assert train_feedback_models() == {"trained": 0, "removed": 0, "unchanged": 0, "failed": 0}
    mark(alpha, "j1", "not_risky")
    assert train_feedback_models()["trained"] == 1
    first = FeedbackModel.objects.get(organization=alpha.org)
    assert (first.examples, first.classes) == (1, [])  # one post is too little: saved, used for nothing
    assert feedback.load_adjustments([alpha.org.pk]) == {}
    assert train_feedback_models() == {"trained": 0, "removed": 0, "unchanged": 1, "failed": 0}
    assert FeedbackModel.objects.get(organization=alpha.org).trained_at == first.trained_at

    mark(alpha, "c1", "risky", category="complaint_quality")  # a new row changes the fingerprint
    assert feedback.train(alpha.org.pk) == "trained"
    assert FeedbackModel.objects.get(organization=alpha.org).classes == ["risky", "complaint_quality"]
    assert set(feedback.load_adjustments([alpha.org.pk, beta.org.pk])) == {alpha.org.pk}
    mark(alpha, "c1", "not_risky")  # an edited row (created_at is auto_now) too
    assert feedback.train(alpha.org.pk) == "trained"
    assert not FeedbackModel.objects.filter(organization=beta.org).exists()

    PostFeedback.objects.filter(organization=alpha.org).delete()
    assert feedback.train(alpha.org.pk) == "removed"
    assert feedback.train(alpha.org.pk) == "unchanged"


def test_the_trained_adjustment_changes_only_that_organisations_judgements(
    alpha: Tenant, beta: Tenant
) -> None:
    process_items(
        [item("j1", JOKE, 50), item("j2", f"{JOKE}w", 45), item("c1", COMPLAINT, 40)],
        source_key=FEED,
        now=NOW,
    )
    mark(alpha, "j1", "not_risky")
    mark(alpha, "j2", "not_risky")
    mark(alpha, "c1", "risky", category="complaint_quality")
    assert feedback.train(alpha.org.pk) == "trained"

    process_items(
        [
            item("j3", f"【朗報】{JOKE}！", 20),
            item("c2", f"{COMPLAINT}。二度と行かない", 10),
            item("x", "サンプル食品", 5),
        ],
        source_key=FEED,
        now=NOW,
    )
    joke, complaint, plain = judged(alpha.org.pk, "j3"), judged(alpha.org.pk, "c2"), judged(alpha.org.pk, "x")
    assert joke.risk < joke.post.risk
    assert joke.judgement is not None and "運用者の判断から学習" in joke.judgement["explanation"]
    assert complaint.risk > complaint.post.risk
    assert "complaint_quality" in complaint.categories
    assert plain.risk == plain.post.risk and plain.judgement is None  # nothing in common: unchanged
    for source_id in ("j3", "c2"):
        other = judged(beta.org.pk, source_id)
        assert other.judgement is None and other.risk == other.post.risk
    assert Post.objects.get(source_key=FEED, source_id="j3").judgement == joke.post.judgement


def test_fit_without_usable_labels_gives_no_model() -> None:
    assert feedback.fit([feedback.Example("同点の投稿", None, frozenset())]) is None
    model = feedback.fit(
        [
            feedback.Example("店長がうざい", True, frozenset()),
            feedback.Example("おいしい", False, frozenset()),
        ]
    )
    assert model is not None
    high, low = model.probabilities(["店長がうざい", "おいしい"])[:, 0]
    assert high > 0.6 > 0.4 > low
    assert model.probabilities(["無関係"])[0, 0] == 0.5
