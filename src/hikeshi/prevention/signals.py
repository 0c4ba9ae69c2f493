"""A member who joins an organisation is enrolled in its on-joining training assignments."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from hikeshi.tenancy.models import Membership


@receiver(post_save, sender=Membership, dispatch_uid="prevention_enrol_new_member")
def enrol_new_member(sender: type[Membership], instance: Membership, created: bool, **kwargs: Any) -> None:
    if created and not kwargs.get("raw"):
        from hikeshi.prevention.training_actions import do_enrol_new_member

        # After commit, so a membership created in a transaction that rolls back enrols no one.
        transaction.on_commit(lambda: do_enrol_new_member(instance))
