"""Text fields of ingested items as a database can store them."""

from __future__ import annotations

from hikeshi.ingest.items import storable


def test_storable_drops_nul_and_replaces_lone_surrogates() -> None:
    assert storable("炎上\x00対策") == "炎上対策"
    assert storable("a\ud83db\udc80") == "a\ufffdb\ufffd"
    text = "普通の投稿🙂"
    assert storable(text) is text
