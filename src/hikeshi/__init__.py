"""hikeshi (火消し): self-hosted protection against online firestorms."""

__version__ = "0.1.0"
