from __future__ import annotations

import pytest

from hikeshi.analysis import Analyzer


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    """The rule engine alone, loaded once: these tests check rules, lexicons and offsets deterministically,
    whether or not trained models are present in the checkout."""
    return Analyzer(use_models=False)
