"""REST routes of the prevention app, mounted under /api/v1/ by hikeshi.api.routes."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["prevention"])
