"""REST routes of the monitoring app, mounted under /api/v1/ by hikeshi.api.routes."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["monitoring"])
