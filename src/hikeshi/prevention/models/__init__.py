"""Models of the prevention program, one module per feature."""

from hikeshi.prevention.models.checks import CheckTally
from hikeshi.prevention.models.policy import (
    ACKNOWLEDGED_DOCS,
    Acknowledgement,
    DocCode,
    PolicyDocument,
    PolicyVersion,
    Reminder,
    RenderedExport,
    VersionState,
)
from hikeshi.prevention.models.structure import RiskRole, RiskRoleKind
from hikeshi.prevention.models.survey import (
    SurveyEmploymentType,
    SurveyInvite,
    SurveyResponse,
    SurveyRun,
)
from hikeshi.prevention.models.training import (
    Assignment,
    AssignmentTarget,
    Attempt,
    AttemptGrant,
    Course,
    Enrollment,
    Recurrence,
)

__all__ = [
    "ACKNOWLEDGED_DOCS",
    "Acknowledgement",
    "Assignment",
    "AssignmentTarget",
    "Attempt",
    "AttemptGrant",
    "CheckTally",
    "Course",
    "DocCode",
    "Enrollment",
    "PolicyDocument",
    "PolicyVersion",
    "Recurrence",
    "Reminder",
    "RenderedExport",
    "RiskRole",
    "RiskRoleKind",
    "SurveyEmploymentType",
    "SurveyInvite",
    "SurveyResponse",
    "SurveyRun",
    "VersionState",
]
