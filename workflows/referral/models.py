"""The referral process and the records each step of it produces.

Case data lives in these models with real columns; Viewflow's JSON `data` is never used for
anything that must be audited, searched or reported.
"""

from django.conf import settings
from django.db import models
from viewflow.workflow.models import Process

from referrals.models import ConcernType

from ..engine.models import Rating

User = settings.AUTH_USER_MODEL


class CaseOutcome(models.TextChoices):
    """How a case leaves the referral process: the one list of outcomes, which the decisions
    below choose among and statistics count."""

    NO_FURTHER_ACTION = "no_further_action", "No further action"
    SIGNPOSTED = "signposted", "Signposted to another service"
    PURSUE = "pursue", "Escalated to Pursue"
    CHANNEL = "channel", "Referred to Channel"
    POLICE_LED = "police_led", "Police-led partnership"


def decision_choices(name: str, labels: dict[str, str]) -> type[models.TextChoices]:
    """Choices for a decision among some case outcomes, worded as the decision maker's options.

    The values are CaseOutcome's own, so a decision and the outcome it leads to never drift.
    """
    return models.TextChoices(
        name, [(CaseOutcome(value).name, (value, label)) for value, label in labels.items()]
    )


class ReferralProcess(Process):
    """One referral's run through the flow."""

    Outcome = CaseOutcome

    referral = models.OneToOneField(
        "referrals.Referral", on_delete=models.PROTECT, related_name="process"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)

    class Meta:
        verbose_name = "referral process"

    def __str__(self) -> str:
        return f"Process for {self.referral_id}"


class Deconfliction(models.Model):
    """A check of the person against live counter-terrorism investigations. Repeatable."""

    class Outcome(models.TextChoices):
        NO_CONFLICT = "no_conflict", "No conflict with a live investigation"
        CONFLICT_MANAGED = (
            "conflict_managed",
            "Linked to a live investigation – Prevent may proceed",
        )
        CONFLICT_HOLD = "conflict_hold", "Linked to a live investigation – Prevent on hold"

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="deconflictions"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    notes = models.TextField(blank=True)
    trigger = models.CharField(max_length=200, default="Initial check")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return f"Deconfliction {self.get_outcome_display()}"


class GatewayCheck(models.Model):
    class Check(models.TextChoices):
        POLICE_NATIONAL_SYSTEMS = "police_national_systems", "Police national systems"
        INTELLIGENCE = "intelligence", "Intelligence holdings"
        VISOR = "visor", "ViSOR and offender management records"
        PREVIOUS_PREVENT = "previous_prevent", "Previous Prevent contact"
        FIREARMS = "firearms", "Firearms licensing"

    class Result(models.TextChoices):
        NO_TRACE = "no_trace", "No trace"
        TRACE = "trace", "Trace found"
        NOT_DONE = "not_done", "Not done"

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="gateway_checks"
    )
    check_name = models.CharField(max_length=30, choices=Check.choices)
    result = models.CharField(max_length=10, choices=Result.choices)
    summary = models.TextField(blank=True, help_text="What was found (trace) or why not done")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return f"{self.get_check_name_display()}: {self.get_result_display()}"


class CaseNote(models.Model):
    """Information gathered: notes, sources and contacts with the referrer."""

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        SOURCE = "source", "Source consulted"
        REFERRER_CONTACT = "referrer_contact", "Contact with the referrer"

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="case_notes"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField()
    team = models.ForeignKey("regions.Team", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.referral}"


class InitialDiscussion(models.Model):
    """The one initial discussion with the referrer, held by police or the LA, never twice."""

    referral = models.OneToOneField(
        "referrals.Referral", on_delete=models.CASCADE, related_name="initial_discussion"
    )
    held_on = models.DateField()
    held_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    held_by_team = models.ForeignKey("regions.Team", on_delete=models.PROTECT, related_name="+")
    summary = models.TextField()
    confirmed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Initial discussion on {self.referral}"


class SafeguardingChecks(models.Model):
    class DomesticAbuse(models.TextChoices):
        NO_CONCERN = "no_concern", "No domestic abuse concern found"
        CONCERN = "concern", "Domestic abuse concern found"

    referral = models.OneToOneField(
        "referrals.Referral", on_delete=models.CASCADE, related_name="safeguarding_checks"
    )
    social_care = models.TextField(help_text="Children's or adult social care")
    education = models.TextField()
    health = models.TextField()
    domestic_abuse_result = models.CharField(max_length=20, choices=DomesticAbuse.choices)
    domestic_abuse_notes = models.TextField()
    mash_notified_on = models.DateField(null=True, blank=True)
    mash_response = models.TextField(blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Safeguarding checks on {self.referral}"


class ThresholdDecision(models.Model):
    class Assurance(models.TextChoices):
        NOT_NEEDED = "not_needed", "Not needed"
        PENDING = "pending", "Waiting for the regional adviser"
        CONFIRMED = "confirmed", "Confirmed by the regional adviser"
        SENT_BACK = "sent_back", "Sent back by the regional adviser"

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="threshold_decisions"
    )
    ideological_element = models.BooleanField()
    ideology = models.CharField(max_length=30, choices=ConcernType.choices, blank=True)
    terrorism_risk = models.BooleanField()
    rationale = models.TextField()
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)
    assurance = models.CharField(
        max_length=20, choices=Assurance.choices, default=Assurance.NOT_NEEDED
    )
    assurance_reason = models.TextField(blank=True, help_text="Why assurance was required")
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reasons = models.TextField(blank=True)

    class Meta:
        ordering = ["decided_at"]
        get_latest_by = "decided_at"

    def __str__(self) -> str:
        return "Meets threshold" if self.meets_threshold else "Below threshold"

    @property
    def meets_threshold(self) -> bool:
        return self.ideological_element and self.terrorism_risk


class BelowThresholdOutcome(models.Model):
    Outcome = decision_choices(
        "BelowThresholdChoice",
        {
            CaseOutcome.NO_FURTHER_ACTION: "No further action",
            CaseOutcome.SIGNPOSTED: "Signpost to another service",
        },
    )

    referral = models.OneToOneField(
        "referrals.Referral", on_delete=models.CASCADE, related_name="below_threshold_outcome"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    signposted_to = models.CharField(max_length=200, blank=True)
    letter = models.TextField(help_text="Plain-language letter to the referrer")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.get_outcome_display()


class RiskAssessment(models.Model):
    """The police assessment, structured as the Prevent Assessment Framework."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="risk_assessments"
    )
    engagement_rating = models.CharField(max_length=10, choices=Rating.choices)
    engagement_evidence = models.TextField()
    intent_rating = models.CharField(max_length=10, choices=Rating.choices)
    intent_evidence = models.TextField()
    capability_rating = models.CharField(max_length=10, choices=Rating.choices)
    capability_evidence = models.TextField()
    overall_risk = models.CharField(max_length=10, choices=Rating.choices, db_index=True)
    summary = models.TextField()
    assessed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assessed_at"]
        get_latest_by = "assessed_at"

    def __str__(self) -> str:
        return f"Risk {self.get_overall_risk_display()}"


class HomeVisitRiskAssessment(models.Model):
    """Must exist before any home visit is recorded."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="home_visit_assessments"
    )
    risks_identified = models.TextField()
    controls = models.TextField()
    visit_safe = models.BooleanField()
    assessed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Home-visit risk assessment on {self.referral}"


class HomeVisit(models.Model):
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="home_visits"
    )
    risk_assessment = models.ForeignKey(
        HomeVisitRiskAssessment, on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField()
    notes = models.TextField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Home visit on {self.visited_on}"


class OutcomeDecision(models.Model):
    Outcome = decision_choices(
        "Outcome",
        {
            CaseOutcome.PURSUE: "Escalate to Pursue",
            CaseOutcome.CHANNEL: "Refer to Channel",
            CaseOutcome.POLICE_LED: "Police-led partnership",
            CaseOutcome.NO_FURTHER_ACTION: "No further action",
        },
    )

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="outcome_decisions"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    rationale = models.TextField()
    handover_to = models.CharField(
        max_length=200, blank=True, help_text="Pursue team receiving the case"
    )
    handover_notes = models.TextField(blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at"]
        get_latest_by = "decided_at"

    def __str__(self) -> str:
        return self.get_outcome_display()


class CaseTransfer(models.Model):
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="transfers"
    )
    from_local_authority = models.ForeignKey(
        "regions.LocalAuthority", on_delete=models.PROTECT, related_name="+"
    )
    to_local_authority = models.ForeignKey(
        "regions.LocalAuthority", on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    transferred_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    transferred_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.from_local_authority} → {self.to_local_authority}"


class Disclosure(models.Model):
    """What the police chose to share with the case's partners, with whom and on what basis.

    Police records stay with the police and the region's advisers (need to know); a
    disclosure is the one way their content reaches the local authority and the Channel
    panel. Written at information gathering, risk assessment and the outcome decision (or on
    its own from the case page), never changed afterwards.
    """

    class Audience(models.TextChoices):
        LOCAL_AUTHORITY = "local_authority", "The local authority's Prevent team"
        PANEL = "panel", "The Channel panel"
        ALL_PARTNERS = "all_partners", "All partners on the case (local authority and panel)"

    class Basis(models.TextChoices):
        CHILDREN_ACT_S47 = "children_act_s47", "Safeguarding (Children Act 1989 s.47)"
        CRIME_AND_DISORDER_S115 = "crime_and_disorder_s115", "Crime and Disorder Act 1998 s.115"
        CTSA_S38 = "ctsa_s38", "Counter-Terrorism and Security Act 2015 s.38"
        CONSENT = "consent", "Consent"

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="disclosures"
    )
    stage = models.CharField(max_length=50, help_text="The step it was shared at, if any")
    audience = models.CharField(max_length=20, choices=Audience.choices)
    basis = models.CharField(max_length=30, choices=Basis.choices)
    text = models.TextField()
    shared_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    shared_by_team = models.ForeignKey("regions.Team", on_delete=models.PROTECT, related_name="+")
    shared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shared_at", "pk"]
        indexes = [models.Index(fields=["referral", "audience"])]

    def __str__(self) -> str:
        return f"Shared with {self.get_audience_display()}"

    @classmethod
    def audiences_reaching(cls, *, local_authority: bool, panel: bool) -> frozenset[str]:
        """The audiences whose disclosures reach a member of the LA team and/or the panel."""
        reach: set[str] = set()
        if local_authority:
            reach |= {cls.Audience.LOCAL_AUTHORITY, cls.Audience.ALL_PARTNERS}
        if panel:
            reach |= {cls.Audience.PANEL, cls.Audience.ALL_PARTNERS}
        return frozenset(reach)
