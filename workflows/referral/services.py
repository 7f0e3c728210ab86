"""Rules of the referral process: each stage's checks and records, and the case-level actions
(further deconfliction, home visits, duplicates, transfers).

Web pages, the API and Celery tasks all call these. Who may work a task is its step's named
predicate (workflows/referral/steps.py), checked by `task_work_check`; case actions check
their own predicate. Each writes its audit event in the same transaction.
"""

from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from guardian.models import GroupObjectPermission

from compliance.audit import audit_record
from config.errors import ApplicationError, PermissionDenied, Problems
from notifications.services import notification_queue
from referrals.models import ConcernType, PossibleDuplicate, Referral, ReferralStatus
from referrals.selectors import referral_route
from regions.models import LocalAuthority, Team
from regions.selectors import route_local_authority

from ..channel.services import interventions_end_on_transfer
from ..engine.grants import groups_grant
from ..engine.locking import case_lock
from ..engine.models import Rating
from ..engine.permissions import (
    VIEW_CASE,
    case_team_of,
    is_case_police,
    is_region_adviser,
    may_view_case,
)
from ..engine.services import (
    CONTINUING_OUTCOMES,
    case_audit,
    case_status_record,
    task_complete,
    task_work_check,
    tasks_move_to,
)
from .models import (
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

# --- Routing --------------------------------------------------------------------------------


def case_access_grant(*, referral: Referral) -> None:
    """Give the case's police, local-authority and regional teams sight of the case."""
    route = referral_route(referral)
    teams = [route.ctp_team, route.la_team, route.regional_team]
    groups_grant((VIEW_CASE,), [team.group_id for team in teams], referral)
    if referral.status == ReferralStatus.SUBMITTED:
        referral.status = ReferralStatus.IN_PROGRESS
        referral.save(update_fields=["status", "updated_at"])
    case_audit(
        "case.routed",
        referral=referral,
        region=route.region.name,
        local_authority=route.local_authority.name,
        police_force_area=route.police_force_area.name,
        teams=[t.name for t in teams],
    )


# --- Police branch ----------------------------------------------------------------------


@transaction.atomic
def task_acknowledge(*, task, user, note: str = "") -> None:
    if task.flow_task.name not in ("police_acknowledge", "la_acknowledge"):
        raise ApplicationError("This page is for a different task.")
    task_complete(task=task, user=user, stage=task.flow_task.name, note=note)


@transaction.atomic
def deconfliction_record(
    *, referral: Referral, user, outcome: str, notes: str = "", trigger: str = ""
) -> Deconfliction:
    """Record a further deconfliction check, saying what new information prompted it.
    Repeatable whenever new information arrives."""
    case_lock(referral)
    if not is_case_police(user, referral):
        raise PermissionDenied()
    problems = Problems()
    trigger = problems.required(trigger, "trigger", "Enter what prompted this check")
    return _deconfliction_save(
        referral=referral,
        user=user,
        outcome=outcome,
        notes=notes,
        trigger=trigger,
        problems=problems,
    )


@transaction.atomic
def police_deconfliction_complete(*, task, user, outcome: str, notes: str = "") -> None:
    referral = task_work_check(task=task, user=user)
    if not is_case_police(user, referral):
        raise PermissionDenied()
    _deconfliction_save(
        referral=referral,
        user=user,
        outcome=outcome,
        notes=notes,
        trigger="Initial check",
        problems=Problems(),
    )
    task_complete(task=task, user=user, stage="police_deconfliction", outcome=outcome)


def _deconfliction_save(
    *, referral: Referral, user, outcome: str, notes: str, trigger: str, problems: Problems
) -> Deconfliction:
    problems.check(
        outcome in Deconfliction.Outcome.values,
        "outcome",
        "Select the outcome of the deconfliction check",
    )
    problems.raise_any()
    record = Deconfliction.objects.create(
        referral=referral,
        outcome=outcome,
        notes=notes.strip(),
        trigger=trigger,
        recorded_by=user,
    )
    case_audit("deconfliction.recorded", user=user, referral=referral, obj=record, outcome=outcome)
    return record


@transaction.atomic
def police_gateway_checks_complete(*, task, user, checks: dict[str, tuple[str, str]]) -> None:
    """Record every gateway check: no trace, trace found (summary) or not done (reason)."""
    referral = task_work_check(task=task, user=user)
    problems = Problems()
    problems.check(
        referral.deconflictions.exists(), None, "Record deconfliction before the gateway checks."
    )
    rows = []
    for check in GatewayCheck.Check:
        result, summary = checks.get(check.value, ("", ""))
        if not problems.check(
            result in GatewayCheck.Result.values, check.value, f"Select a result for {check.label}"
        ):
            continue
        if result == GatewayCheck.Result.TRACE:
            problems.required(summary, check.value, f"Summarise the trace found in {check.label}")
        elif result == GatewayCheck.Result.NOT_DONE:
            problems.required(summary, check.value, f"Give the reason {check.label} was not done")
        rows.append(
            GatewayCheck(
                referral=referral,
                check_name=check.value,
                result=result,
                summary=summary.strip(),
                recorded_by=user,
            )
        )
    problems.raise_any()
    GatewayCheck.objects.bulk_create(rows)
    task_complete(
        task=task,
        user=user,
        stage="police_gateway_checks",
        results={row.check_name: row.result for row in rows},
    )


@transaction.atomic
def case_note_add(*, referral: Referral, user, kind: str, text: str) -> CaseNote:
    case_lock(referral)
    if not may_view_case(user, referral):
        raise PermissionDenied()
    team = _acting_team(user, referral)
    problems = Problems()
    problems.check(kind in CaseNote.Kind.values, "kind", "Select the kind of note")
    text = problems.required(text, "text", "Enter the note")
    problems.raise_any()
    note = CaseNote.objects.create(
        referral=referral,
        kind=kind,
        text=text,
        team=team,
        author=user,
    )
    case_audit(
        "case_note.added", user=user, referral=referral, obj=note, kind=kind, team_kind=team.kind
    )
    return note


def _acting_team(user, referral: Referral) -> Team:
    team = case_team_of(user, referral)
    if team is None:
        raise PermissionDenied()
    return team


@transaction.atomic
def initial_discussion_record(
    *, referral: Referral, user, held_on: date | None, summary: str
) -> InitialDiscussion:
    """The initial discussion with the referrer happens once, by police or the LA."""
    case_lock(referral)
    if not may_view_case(user, referral):
        raise PermissionDenied()
    team = _acting_team(user, referral)
    if team.kind not in (Team.Kind.CTP_PREVENT, Team.Kind.LA_PREVENT):
        raise PermissionDenied()
    problems = Problems()
    problems.check(
        not InitialDiscussion.objects.filter(referral=referral).exists(),
        None,
        "The initial discussion with the referrer is already recorded.",
    )
    held_on = problems.required(held_on, "held_on", "Enter the date of the discussion")
    if held_on is not None:
        problems.check(
            held_on <= timezone.localdate(),
            "held_on",
            "The date of the discussion must be today or in the past",
        )
    summary = problems.required(summary, "summary", "Summarise the discussion with the referrer")
    problems.raise_any()
    discussion = InitialDiscussion.objects.create(
        referral=referral,
        held_on=held_on,
        held_by=user,
        held_by_team=team,
        summary=summary,
    )
    case_audit(
        "initial_discussion.recorded",
        user=user,
        referral=referral,
        obj=discussion,
        team_kind=team.kind,
    )
    return discussion


# --- Sharing police information with partners --------------------------------------------

SHARE_REQUIRED = (
    "Enter what can be shared with the local authority and panel, or write “Nothing to share”"
)


def _sharing_check(
    problems: Problems,
    *,
    share_summary: str,
    share_with: str,
    share_basis: str,
    required: str | None,
) -> str:
    """Check a sharing summary and its audience and lawful basis, adding every problem.

    `required` is the message when a summary is needed here (None: optional). A summary, once
    written, always needs whom it is for and the basis in law for sharing it.
    """
    share_summary = (share_summary or "").strip()
    if required:
        problems.required(share_summary, "share_summary", required)
    elif not share_summary and (share_with or share_basis):
        problems.add("share_summary", "Enter what can be shared, or leave who and why blank")
    if share_summary:
        problems.check(
            share_with in Disclosure.Audience.values,
            "share_with",
            "Select who the police information can be shared with",
        )
        problems.check(
            share_basis in Disclosure.Basis.values,
            "share_basis",
            "Select the lawful basis for sharing the information",
        )
    return share_summary


def _disclosure_save(
    *, referral: Referral, user, stage: str, text: str, audience: str, basis: str
) -> Disclosure:
    team = _acting_team(user, referral)
    disclosure = Disclosure.objects.create(
        referral=referral,
        stage=stage,
        text=text,
        audience=audience,
        basis=basis,
        shared_by=user,
        shared_by_team=team,
    )
    audit_record(
        actor=user,
        action="disclosure.recorded",
        obj=disclosure,
        case_reference=referral.reference or "",
        team=team.name,
        detail={
            "stage": stage,
            "audience": audience,
            "basis": basis,
            "shared_with": disclosure.get_audience_display(),
            "lawful_basis": disclosure.get_basis_display(),
        },
    )
    return disclosure


@transaction.atomic
def disclosure_record(
    *, referral: Referral, user, share_summary: str, share_with: str, share_basis: str
) -> Disclosure:
    """The police share something with the case's partners between steps (new information)."""
    if not is_case_police(user, referral):
        raise PermissionDenied()
    problems = Problems()
    text = _sharing_check(
        problems,
        share_summary=share_summary,
        share_with=share_with,
        share_basis=share_basis,
        required="Enter what can be shared with the local authority and panel",
    )
    problems.raise_any()
    return _disclosure_save(
        referral=referral, user=user, stage="", text=text, audience=share_with, basis=share_basis
    )


# --- Police branch, continued ----------------------------------------------------------------


@transaction.atomic
def police_information_gathering_complete(
    *,
    task,
    user,
    summary: str,
    sources: str = "",
    referrer_contact: str = "",
    share_summary: str = "",
    share_with: str = "",
    share_basis: str = "",
) -> None:
    """Police notes of what was gathered (police only), and what of it partners may see."""
    referral = task_work_check(task=task, user=user)
    problems = Problems()
    summary = problems.required(summary, "summary", "Summarise the information gathered")
    shared = _sharing_check(
        problems,
        share_summary=share_summary,
        share_with=share_with,
        share_basis=share_basis,
        required=SHARE_REQUIRED,
    )
    problems.raise_any()
    stage = "police_information_gathering"
    if shared:
        _disclosure_save(
            referral=referral,
            user=user,
            stage=stage,
            text=shared,
            audience=share_with,
            basis=share_basis,
        )
    case_note_add(referral=referral, user=user, kind=CaseNote.Kind.NOTE, text=summary)
    if sources.strip():
        case_note_add(referral=referral, user=user, kind=CaseNote.Kind.SOURCE, text=sources)
    if referrer_contact.strip():
        case_note_add(
            referral=referral, user=user, kind=CaseNote.Kind.REFERRER_CONTACT, text=referrer_contact
        )
    task_complete(task=task, user=user, stage=stage)


# --- Local-authority branch -------------------------------------------------------------


@transaction.atomic
def la_initial_discussion_complete(
    *, task, user, held_on: date | None = None, summary: str = "", confirm: bool = False
) -> None:
    """Record the discussion, or confirm the one the police already held: never both."""
    referral = task_work_check(task=task, user=user)
    existing = InitialDiscussion.objects.filter(referral=referral).first()
    if existing:
        problems = Problems()
        problems.check(
            bool(confirm),
            "confirm",
            "The police have already held the initial discussion. Confirm you have read it.",
        )
        problems.raise_any()
        existing.confirmed_by = user
        existing.confirmed_at = timezone.now()
        existing.save(update_fields=["confirmed_by", "confirmed_at"])
        case_audit("initial_discussion.confirmed", user=user, referral=referral, obj=existing)
    else:
        initial_discussion_record(referral=referral, user=user, held_on=held_on, summary=summary)
    task_complete(
        task=task, user=user, stage="la_initial_discussion", confirmed_existing=bool(existing)
    )


@transaction.atomic
def la_safeguarding_checks_complete(
    *,
    task,
    user,
    social_care: str,
    education: str,
    health: str,
    domestic_abuse_result: str,
    domestic_abuse_notes: str,
    mash_notified_on: date | None = None,
    mash_response: str = "",
) -> SafeguardingChecks:
    referral = task_work_check(task=task, user=user)
    problems = Problems()
    fields = {
        "social_care": problems.required(
            social_care, "social_care", "Enter the result of the social care check"
        ),
        "education": problems.required(
            education, "education", "Enter the result of the education check"
        ),
        "health": problems.required(health, "health", "Enter the result of the health check"),
    }
    problems.check(
        domestic_abuse_result in SafeguardingChecks.DomesticAbuse.values,
        "domestic_abuse_result",
        "The domestic-abuse check is mandatory: select its result",
    )
    fields["domestic_abuse_notes"] = problems.required(
        domestic_abuse_notes,
        "domestic_abuse_notes",
        "Record what was checked for domestic abuse and what was found",
    )
    if referral.is_under_18:
        mash_notified_on = problems.required(
            mash_notified_on,
            "mash_notified_on",
            "The person is under 18: enter the date the MASH was notified",
        )
        mash_response = problems.required(
            mash_response, "mash_response", "The person is under 18: record the MASH response"
        )
    if mash_notified_on is not None:
        problems.check(
            mash_notified_on <= timezone.localdate(),
            "mash_notified_on",
            "The date the MASH was notified must be today or in the past",
        )
    problems.raise_any()
    checks = SafeguardingChecks.objects.create(
        referral=referral,
        domestic_abuse_result=domestic_abuse_result,
        mash_notified_on=mash_notified_on,
        mash_response=mash_response or "",
        recorded_by=user,
        **fields,
    )
    task_complete(
        task=task,
        user=user,
        stage="la_safeguarding_checks",
        domestic_abuse=domestic_abuse_result,
        mash_notified=bool(mash_notified_on),
    )
    return checks


# --- Threshold and assurance --------------------------------------------------------------


def is_repeat_referral(referral: Referral) -> bool:
    """Referred before: an earlier referral matched and not dismissed as a different person."""
    return referral.possible_duplicates.exclude(
        decision=PossibleDuplicate.Decision.DISMISSED
    ).exists()


@transaction.atomic
def threshold_decide(
    *,
    task,
    user,
    ideological_element: bool | None,
    ideology: str = "",
    terrorism_risk: bool | None,
    rationale: str,
) -> ThresholdDecision:
    referral = task_work_check(task=task, user=user)
    problems = Problems()
    problems.check(
        ideological_element is not None,
        "ideological_element",
        "Answer whether there is an identifiable ideological element",
    )
    if ideological_element:
        problems.check(ideology in ConcernType.values, "ideology", "Select the ideology")
    problems.check(
        terrorism_risk is not None, "terrorism_risk", "Answer whether there is a terrorism risk"
    )
    rationale = problems.required(rationale, "rationale", "Give the rationale for the decision")
    problems.raise_any()
    decision = ThresholdDecision(
        referral=referral,
        ideological_element=ideological_element,
        ideology=ideology if ideological_element else "",
        terrorism_risk=terrorism_risk,
        rationale=rationale,
        decided_by=user,
    )
    if not decision.meets_threshold:
        reasons = []
        if is_repeat_referral(referral):
            reasons.append("the person has been referred before")
        if referral.is_under_18:
            reasons.append("the person is under 18")
        if reasons:
            decision.assurance = ThresholdDecision.Assurance.PENDING
            decision.assurance_reason = " and ".join(reasons)
    decision.save()
    case_audit(
        "threshold.decided",
        user=user,
        referral=referral,
        obj=decision,
        reason=rationale,
        meets_threshold=decision.meets_threshold,
        ideological_element=ideological_element,
        ideology=decision.ideology,
        terrorism_risk=terrorism_risk,
        assurance=decision.assurance,
    )
    task_complete(task=task, user=user, stage="threshold_decision")
    return decision


@transaction.atomic
def assurance_review_decide(*, task, user, confirm: bool | None, reasons: str = "") -> None:
    referral = task_work_check(task=task, user=user)
    decision = referral.threshold_decisions.latest()
    problems = Problems()
    problems.check(
        decision.decided_by_id != user.pk,
        None,
        "Assurance must be given by someone other than the decision maker.",
    )
    problems.check(
        confirm is not None, "confirm", "Select whether to confirm the closure or send it back"
    )
    if confirm is False:
        reasons = problems.required(
            reasons, "reasons", "Give the reasons for sending the decision back"
        )
    problems.raise_any()
    decision.assurance = (
        ThresholdDecision.Assurance.CONFIRMED if confirm else ThresholdDecision.Assurance.SENT_BACK
    )
    decision.reviewed_by, decision.reviewed_at = user, timezone.now()
    decision.review_reasons = reasons.strip()
    decision.save(update_fields=["assurance", "reviewed_by", "reviewed_at", "review_reasons"])
    case_audit(
        "threshold.assurance",
        user=user,
        referral=referral,
        obj=decision,
        reason=reasons.strip(),
        confirmed=confirm,
    )
    task_complete(task=task, user=user, stage="assurance_review", confirmed=confirm)


@transaction.atomic
def below_threshold_outcome_complete(
    *, task, user, outcome: str, signposted_to: str = "", letter: str
) -> BelowThresholdOutcome:
    referral = task_work_check(task=task, user=user)
    problems = Problems()
    problems.check(outcome in BelowThresholdOutcome.Outcome.values, "outcome", "Select the outcome")
    if outcome == BelowThresholdOutcome.Outcome.SIGNPOSTED:
        signposted_to = problems.required(
            signposted_to, "signposted_to", "Enter the service the person is signposted to"
        )
    letter = problems.required(letter, "letter", "Write the outcome letter to the referrer")
    problems.raise_any()
    record = BelowThresholdOutcome.objects.create(
        referral=referral,
        outcome=outcome,
        signposted_to=signposted_to.strip(),
        letter=letter,
        recorded_by=user,
    )
    notification_queue(
        kind="outcome_letter",
        dedupe_key=f"outcome-letter:{referral.pk}:{record.pk}",
        to=[referral.referrer_email or referral.created_by.email],
        subject=f"Outcome of your Prevent referral {referral.reference}",
        body=record.letter,
        case_reference=referral.reference or "",
    )
    case_audit(
        "outcome.below_threshold",
        user=user,
        referral=referral,
        obj=record,
        outcome=outcome,
        signposted_to=record.signposted_to,
    )
    task_complete(task=task, user=user, stage="below_threshold_outcome", outcome=outcome)
    return record


# --- Risk assessment and outcome ----------------------------------------------------------


@transaction.atomic
def risk_assessment_complete(
    *, task, user, share_summary: str = "", share_with: str = "", share_basis: str = "", **answers
) -> RiskAssessment:
    """The police assessment (police only), and what of it partners may see."""
    referral = task_work_check(task=task, user=user)
    problems = Problems()
    values = {}
    for factor, label in (
        ("engagement", "engagement with an ideology or cause"),
        ("intent", "intent to cause harm"),
        ("capability", "capability to cause harm"),
    ):
        rating = answers.get(f"{factor}_rating", "")
        problems.check(rating in Rating.values, f"{factor}_rating", f"Rate {label}")
        values[f"{factor}_rating"] = rating
        values[f"{factor}_evidence"] = problems.required(
            answers.get(f"{factor}_evidence", ""),
            f"{factor}_evidence",
            f"Give the evidence for the rating of {label}",
        )
    overall_risk = answers.get("overall_risk", "")
    problems.check(overall_risk in Rating.values, "overall_risk", "Select the overall risk level")
    summary = problems.required(answers.get("summary", ""), "summary", "Summarise the assessment")
    shared = _sharing_check(
        problems,
        share_summary=share_summary,
        share_with=share_with,
        share_basis=share_basis,
        required=SHARE_REQUIRED,
    )
    problems.raise_any()
    if shared:
        _disclosure_save(
            referral=referral,
            user=user,
            stage="risk_assessment",
            text=shared,
            audience=share_with,
            basis=share_basis,
        )
    assessment = RiskAssessment.objects.create(
        referral=referral,
        overall_risk=overall_risk,
        assessed_by=user,
        summary=summary,
        **values,
    )
    case_audit(
        "risk_assessment.recorded",
        user=user,
        referral=referral,
        obj=assessment,
        overall_risk=assessment.overall_risk,
    )
    task_complete(
        task=task, user=user, stage="risk_assessment", overall_risk=assessment.overall_risk
    )
    return assessment


@transaction.atomic
def home_visit_assessment_record(
    *, referral: Referral, user, risks_identified: str, controls: str, visit_safe: bool | None
) -> HomeVisitRiskAssessment:
    case_lock(referral)
    if not is_case_police(user, referral):
        raise PermissionDenied()
    problems = Problems()
    risks_identified = problems.required(
        risks_identified, "risks_identified", "Describe the risks identified"
    )
    controls = problems.required(controls, "controls", "Describe the controls in place")
    problems.check(
        visit_safe is not None, "visit_safe", "Answer whether the visit can go ahead safely"
    )
    problems.raise_any()
    assessment = HomeVisitRiskAssessment.objects.create(
        referral=referral,
        risks_identified=risks_identified,
        controls=controls,
        visit_safe=visit_safe,
        assessed_by=user,
    )
    case_audit(
        "home_visit.risk_assessed",
        user=user,
        referral=referral,
        obj=assessment,
        visit_safe=visit_safe,
    )
    return assessment


@transaction.atomic
def home_visit_record(
    *, referral: Referral, user, visited_on: date | None, notes: str
) -> HomeVisit:
    """No visit is recorded without a prior home-visit risk assessment that found it safe."""
    case_lock(referral)
    if not is_case_police(user, referral):
        raise PermissionDenied()
    assessment = (
        referral.home_visit_assessments.filter(visit_safe=True).order_by("-assessed_at").first()
    )
    problems = Problems()
    problems.check(
        assessment is not None,
        None,
        "Complete a home-visit risk assessment that finds the visit safe before recording a visit.",
    )
    visited_on = problems.required(visited_on, "visited_on", "Enter the date of the visit")
    if visited_on is not None and visited_on > timezone.localdate():
        problems.add("visited_on", "The date of the visit must be today or in the past")
    elif visited_on is not None and assessment is not None:
        problems.check(
            visited_on >= timezone.localtime(assessment.assessed_at).date(),
            "visited_on",
            "The visit cannot be before its risk assessment",
        )
    notes = problems.required(notes, "notes", "Record what happened on the visit")
    problems.raise_any()
    visit = HomeVisit.objects.create(
        referral=referral,
        risk_assessment=assessment,
        visited_on=visited_on,
        notes=notes,
        recorded_by=user,
    )
    case_audit("home_visit.recorded", user=user, referral=referral, obj=visit)
    return visit


@transaction.atomic
def outcome_decide(
    *,
    task,
    user,
    outcome: str,
    rationale: str,
    handover_to: str = "",
    handover_notes: str = "",
    share_summary: str = "",
    share_with: str = "",
    share_basis: str = "",
) -> OutcomeDecision:
    """The police outcome and its rationale (police only). When the case goes on with
    partners (Channel, a police-led partnership) the police say what those partners may see."""
    referral = task_work_check(task=task, user=user)
    problems = Problems()
    problems.check(outcome in OutcomeDecision.Outcome.values, "outcome", "Select the outcome")
    rationale = problems.required(rationale, "rationale", "Give the rationale for the outcome")
    if outcome == OutcomeDecision.Outcome.PURSUE:
        handover_to = problems.required(
            handover_to, "handover_to", "Enter the Pursue team receiving the case"
        )
        handover_notes = problems.required(
            handover_notes, "handover_notes", "Write the handover record for Pursue"
        )
    shared = _sharing_check(
        problems,
        share_summary=share_summary,
        share_with=share_with,
        share_basis=share_basis,
        required=(
            "The case goes on with partners: enter what can be shared with them, or write "
            "“Nothing to share”"
        )
        if outcome in CONTINUING_OUTCOMES
        else None,
    )
    problems.raise_any()
    if shared:
        _disclosure_save(
            referral=referral,
            user=user,
            stage="outcome_decision",
            text=shared,
            audience=share_with,
            basis=share_basis,
        )
    decision = OutcomeDecision.objects.create(
        referral=referral,
        outcome=outcome,
        rationale=rationale,
        handover_to=handover_to.strip(),
        handover_notes=handover_notes.strip(),
        decided_by=user,
    )
    case_audit(
        "outcome.decided",
        user=user,
        referral=referral,
        obj=decision,
        reason=rationale,
        outcome=outcome,
    )
    task_complete(task=task, user=user, stage="outcome_decision", outcome=outcome)
    return decision


def case_finish(*, process: ReferralProcess, outcome: str | None) -> None:
    """Record how the referral left the Prevent process (called by the flow's end nodes)."""
    referral = process.referral
    if outcome is None:
        below = BelowThresholdOutcome.objects.filter(referral=referral).first()
        outcome = below.outcome if below else ReferralProcess.Outcome.NO_FURTHER_ACTION
    process.outcome = outcome
    process.save(update_fields=["outcome"])
    case_status_record(referral=referral, outcome=outcome)
    case_audit("case.outcome", referral=referral, outcome=outcome)


# --- Oversight: duplicates and transfers --------------------------------------------------


@transaction.atomic
def duplicate_decide(
    *, duplicate: PossibleDuplicate, user, same_person: bool | None, reason: str = ""
) -> PossibleDuplicate:
    referral = duplicate.referral
    case_lock(referral)
    if not may_view_case(user, referral) or not is_region_adviser(user, referral):
        raise PermissionDenied()
    problems = Problems()
    problems.check(same_person is not None, "same_person", "Select whether this is the same person")
    problems.raise_any()
    duplicate.decision = (
        PossibleDuplicate.Decision.CONFIRMED
        if same_person
        else PossibleDuplicate.Decision.DISMISSED
    )
    duplicate.decided_by, duplicate.decided_at = user, timezone.now()
    duplicate.decision_reason = reason.strip()
    duplicate.save(update_fields=["decision", "decided_by", "decided_at", "decision_reason"])
    case_audit(
        "duplicate.decided",
        user=user,
        referral=referral,
        obj=duplicate,
        reason=reason,
        earlier=duplicate.earlier.reference,
        decision=duplicate.decision,
    )
    return duplicate


@transaction.atomic
def case_transfer(
    *, referral: Referral, user, to_local_authority: LocalAuthority | None, reason: str
) -> CaseTransfer:
    """Move a case to another local authority (and region) when the person moves.

    Access moves with it: old teams lose the case and its open tasks, new teams gain them,
    and claimed tasks whose owner is not in the new team go back to the new team's queue.
    """
    case_lock(referral)
    if not is_region_adviser(user, referral):
        raise PermissionDenied()
    problems = Problems()
    old = route_local_authority(referral.local_authority_id)
    new = None
    if problems.check(
        to_local_authority is not None,
        "to_local_authority",
        "Select the local authority the case is moving to",
    ):
        new = route_local_authority(to_local_authority)
        problems.check(
            new.local_authority.pk != old.local_authority.pk,
            "to_local_authority",
            "The case is already with that local authority",
        )
    reason = problems.required(reason, "reason", "Give the reason for the transfer")
    problems.raise_any()
    new_teams = {new.ctp_team, new.la_team, new.regional_team}
    if referral.process.outcome == ReferralProcess.Outcome.CHANNEL:
        new_teams.add(new.channel_panel)
    groups_grant((VIEW_CASE,), [team.group_id for team in new_teams], referral)
    # Every other team's grant on the case goes: the old area's, and any left from before.
    GroupObjectPermission.objects.filter(
        content_type=ContentType.objects.get_for_model(Referral), object_pk=str(referral.pk)
    ).exclude(group_id__in=[team.group_id for team in new_teams]).delete()

    tasks_move_to(referral=referral, route=new)
    interventions_end_on_transfer(referral=referral, user=user)

    transfer = CaseTransfer.objects.create(
        referral=referral,
        from_local_authority=old.local_authority,
        to_local_authority=new.local_authority,
        reason=reason,
        transferred_by=user,
    )
    referral.local_authority = new.local_authority
    referral.police_force_area = new.police_force_area
    referral.region = new.region
    referral.save(update_fields=["local_authority", "police_force_area", "region", "updated_at"])
    case_audit(
        "case.transferred",
        user=user,
        referral=referral,
        obj=transfer,
        reason=reason,
        from_local_authority=old.local_authority.name,
        to_local_authority=new.local_authority.name,
        to_region=new.region.name,
    )
    return transfer


def channel_panel_grant(*, referral: Referral) -> None:
    """Give the case's Channel panel sight of it, as the case is referred to Channel."""
    route = referral_route(referral)
    groups_grant((VIEW_CASE,), [route.channel_panel.group_id], referral)
    case_audit("channel.referred", referral=referral, team=route.channel_panel.name)
