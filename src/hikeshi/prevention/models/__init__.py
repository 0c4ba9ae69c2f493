"""Models of the prevention program, one module per feature."""

from hikeshi.prevention.models.checks import CheckTally
from hikeshi.prevention.models.policy import (
    ACKNOWLEDGED_DOCS,
    Acknowledgement,
    DocCode,
    PolicyDocument,
    PolicyVersion,
    Reminder,
    VersionState,
)

__all__ = [
    "ACKNOWLEDGED_DOCS",
    "Acknowledgement",
    "CheckTally",
    "DocCode",
    "PolicyDocument",
    "PolicyVersion",
    "Reminder",
    "VersionState",
]
