"""Framework-free core of monitoring ingestion: safe fetching, decoding, parsing, routing, dedup, scheduling.

Nothing here imports Django or Celery, so every part runs in any worker process and in benchmarks.
See docs/ingest.md for the design and the public API.
"""
