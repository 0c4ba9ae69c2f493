"""Per-organisation vocabulary that sharpens the generic rules."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CustomTerms:
    """An organisation's own words; hashable so that compiled matchers can be cached per value.

    ``confidential``: project code names and unreleased products; ``vip_names``: famous customers or
    sponsored players; ``own_names``: the organisation's own names (a complaint that names it weighs more).
    """

    confidential: tuple[str, ...] = ()
    vip_names: tuple[str, ...] = ()
    own_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for field_name in ("confidential", "vip_names", "own_names"):
            value = getattr(self, field_name)
            if isinstance(value, str) or not isinstance(value, tuple):
                raise TypeError(
                    f"CustomTerms.{field_name} must be a tuple of str, got {type(value).__name__}"
                )
            for term in value:
                if not isinstance(term, str):
                    raise TypeError(f"CustomTerms.{field_name} holds a non-string entry: {term!r}")

    def is_empty(self) -> bool:
        return not (self.confidential or self.vip_names or self.own_names)
