"""炎上リスク診断 page: per-area scores and next steps; nothing stored; login required."""

from __future__ import annotations

import pytest
from django.test import Client

from hikeshi.accounts.models import User
from hikeshi.prevention.content import load_diagnosis, score

pytestmark = pytest.mark.django_db


def test_diagnosis_scores_per_area_and_shows_next_steps(outsider: User) -> None:
    diagnosis = load_diagnosis()
    # Best option everywhere except the training area, where the worst scored option is chosen.
    answers = {}
    for q in diagnosis.questions:
        scored = [o for o in q.options if o.points is not None]
        answers[q.id] = (min if q.area == "training" else max)(scored, key=lambda o: o.points or 0).id
    expected = score(answers)
    client = Client()
    client.force_login(outsider)  # a prospective client's contact: no organisation needed
    body = client.post("/prevention/diagnosis/", answers).content.decode()
    assert f"総合 {expected.overall} 点" in body
    training = next(n for n in expected.next_steps if n.area == "training")
    assert training.steps[0] in body
    assert [n.area for n in expected.next_steps] == ["training"]


def test_diagnosis_requires_every_answer_and_login() -> None:
    assert Client().get("/prevention/diagnosis/").status_code == 302
    user = User.objects.create_user("x@example.com", "pw-123456789-abc")
    client = Client()
    client.force_login(user)
    body = client.post("/prevention/diagnosis/", {}).content.decode()
    assert "回答を選んでください" in body and 'data-testid="diagnosis-result"' not in body
