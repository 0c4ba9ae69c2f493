from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """The last time a background role proved it was alive (written by a worker)."""

    source = models.CharField(_("送信元"), max_length=100, unique=True)
    last_seen = models.DateTimeField(_("最終確認"))

    def __str__(self) -> str:
        return f"{self.source} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"
