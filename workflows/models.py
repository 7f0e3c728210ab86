"""The workflows app's models, defined in the task engine and in each process's package.

Django finds an app's models through this module; code imports them from where they are
defined (`workflows.engine.models`, `workflows.referral.models`, `workflows.channel.models`).
"""

from .channel.models import (
    AgendaItem,
    ChannelDecision,
    ChannelProcess,
    Consent,
    Intervention,
    InterventionSession,
    PanelMeeting,
    PanelReview,
    PostExitReview,
    SupportPlan,
)
from .engine.models import CaseTask, ClockPause
from .referral.models import (
    BelowThresholdOutcome,
    CaseNote,
    CaseTransfer,
    Deconfliction,
    Disclosure,
    GatewayCheck,
    HomeVisit,
    HomeVisitRiskAssessment,
    InitialDiscussion,
    OutcomeDecision,
    ReferralProcess,
    RiskAssessment,
    SafeguardingChecks,
    ThresholdDecision,
)

__all__ = [
    "AgendaItem",
    "BelowThresholdOutcome",
    "CaseNote",
    "CaseTask",
    "CaseTransfer",
    "ChannelDecision",
    "ChannelProcess",
    "ClockPause",
    "Consent",
    "Deconfliction",
    "Disclosure",
    "GatewayCheck",
    "HomeVisit",
    "HomeVisitRiskAssessment",
    "InitialDiscussion",
    "Intervention",
    "InterventionSession",
    "OutcomeDecision",
    "PanelMeeting",
    "PanelReview",
    "PostExitReview",
    "ReferralProcess",
    "RiskAssessment",
    "SafeguardingChecks",
    "SupportPlan",
    "ThresholdDecision",
]
