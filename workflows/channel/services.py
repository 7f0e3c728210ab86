"""Rules of the Channel stage: panel, consent, support plan, reviews, exit and post-exit.

Who may work each task is its step's predicate (workflows/channel/steps.py), checked by
`task_work_check`; decisions kept for the panel's chair check `is_panel_chair` too. A
refusal of permission comes first, on its own; then every problem with the answers is raised
together (`Problems`), before anything is written. Every function records its audit event in
the same transaction.
"""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm, remove_perm

from accounts.roles import Role
from compliance.audit import audit_record
from config.errors import PermissionDenied, Problems
from referrals.models import Referral
from regions.models import Team
from regions.selectors import route_local_authority

from ..engine.locking import case_lock
from ..engine.models import CaseTask, Rating
from ..engine.permissions import is_case_panel_member, is_member, is_panel_chair
from ..engine.services import (
    case_audit,
    case_status_record,
    task_complete,
    task_referral,
    task_work_check,
)
from .models import (
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
from .permissions import VIEW_INTERVENTION, may_record_session

CHAIR_ONLY = "Only the panel's chair, from the local authority, can decide this."
# The stages during which the person is being supported.
SUPPORT_STAGES = ("support_plan", "panel_review")


# --- Panel meetings -------------------------------------------------------------------------


@transaction.atomic
def panel_meeting_create(
    *, panel: Team, user, meets_on: date | None, location: str = ""
) -> PanelMeeting:
    if panel.kind != Team.Kind.CHANNEL_PANEL or not is_member(user, panel.id):
        raise PermissionDenied()
    if not Team.objects.filter(
        kind=Team.Kind.LA_PREVENT,
        local_authority_id=panel.local_authority_id,
        memberships__user=user,
    ).exists():
        raise PermissionDenied("Only the panel's chair, from the local authority, can do this.")
    problems = Problems()
    meets_on = problems.required(meets_on, "meets_on", "Enter the date of the meeting")
    problems.raise_any()
    meeting = PanelMeeting.objects.create(
        panel=panel, meets_on=meets_on, location=location.strip(), chair=user
    )
    audit_record(
        actor=user,
        action="panel.meeting_created",
        obj=meeting,
        team=panel.name,
        detail={"meets_on": meets_on},
    )
    return meeting


@transaction.atomic
def agenda_add(
    *, meeting: PanelMeeting, referral: Referral | None, purpose: str | None, user
) -> AgendaItem:
    """Put a case on a meeting's agenda. Without a case, only the meeting's panel is asked."""
    if referral is not None:
        case_lock(referral)
    if referral is None:
        if not is_member(user, meeting.panel_id):
            raise PermissionDenied()
    elif not is_case_panel_member(user, referral):
        raise PermissionDenied()
    problems = Problems()
    if referral is None:
        problems.add("referral", "Select the case to add to the agenda")
    else:
        problems.check(
            route_local_authority(referral.local_authority_id).channel_panel.pk == meeting.panel_id,
            None,
            "That case is not with this panel.",
        )
    problems.check(
        purpose in AgendaItem.Purpose.values, "purpose", "Select why the case is on the agenda"
    )
    problems.raise_any()
    item, _ = AgendaItem.objects.get_or_create(meeting=meeting, referral=referral, purpose=purpose)
    case_audit(
        "panel.agenda_added",
        user=user,
        referral=referral,
        obj=item,
        purpose=purpose,
        meeting=str(meeting),
    )
    return item


# --- Adoption -------------------------------------------------------------------------------


@transaction.atomic
def adoption_decide(
    *, task, user, adopt: bool | None, rationale: str, meeting: PanelMeeting | None = None
) -> ChannelDecision:
    referral = task_work_check(task=task, user=user)
    if not is_panel_chair(user, referral):
        raise PermissionDenied(CHAIR_ONLY)
    problems = Problems()
    problems.check(adopt is not None, "adopt", "Select whether the panel adopts the case")
    rationale = problems.required(rationale, "rationale", "Give the panel's rationale")
    problems.raise_any()
    decision = ChannelDecision.objects.create(
        referral=referral,
        kind=ChannelDecision.Kind.ADOPTION,
        result=ChannelDecision.Result.ADOPTED if adopt else ChannelDecision.Result.NOT_ADOPTED,
        rationale=rationale,
        meeting=meeting,
        decided_by=user,
    )
    case_audit(
        "channel.adoption",
        user=user,
        referral=referral,
        obj=decision,
        reason=rationale,
        adopted=adopt,
    )
    task_complete(task=task, user=user, stage="adoption_decision", adopted=adopt)
    return decision


def _decide_outcome(task, user, stage: str, kind: str, result: str, rationale: str):
    referral = task_referral(task)
    problems = Problems()
    problems.check(
        result in (ChannelDecision.Result.POLICE_LED, ChannelDecision.Result.CLOSED),
        "result",
        "Select police-led partnership or closure",
    )
    rationale = problems.required(rationale, "rationale", "Give the rationale for the decision")
    problems.raise_any()
    decision = ChannelDecision.objects.create(
        referral=referral,
        kind=kind,
        result=result,
        rationale=rationale,
        decided_by=user,
    )
    case_audit(
        f"channel.{kind}",
        user=user,
        referral=referral,
        obj=decision,
        reason=rationale,
        result=result,
    )
    task_complete(task=task, user=user, stage=stage, result=result)
    return decision


@transaction.atomic
def not_adopted_outcome_decide(*, task, user, result: str, rationale: str) -> ChannelDecision:
    """Back with the police: police-led partnership, or closure."""
    task_work_check(task=task, user=user)
    return _decide_outcome(
        task,
        user,
        "not_adopted_outcome",
        ChannelDecision.Kind.NOT_ADOPTED_OUTCOME,
        result,
        rationale,
    )


# --- Consent --------------------------------------------------------------------------------


def _latest_consent(referral: Referral, given_by: str) -> Consent | None:
    return referral.consents.filter(given_by=given_by).order_by("-recorded_at", "-pk").first()


def consent_in_place(referral: Referral) -> bool:
    person = _latest_consent(referral, Consent.GivenBy.PERSON)
    ok = person is not None and person.given and person.withdrawn_on is None
    if referral.is_under_18:
        parent = _latest_consent(referral, Consent.GivenBy.PARENT)
        ok = ok and parent is not None and parent.given and parent.withdrawn_on is None
    return ok


def consent_withdrawn(referral: Referral) -> bool:
    return referral.consents.filter(withdrawn_on__isnull=False).exists() and not consent_in_place(
        referral
    )


@transaction.atomic
def consent_record(
    *,
    task,
    user,
    person_given: bool | None,
    person_on: date | None,
    person_how: str,
    parent_given: bool | None = None,
    parent_name: str = "",
    parent_on: date | None = None,
    parent_how: str = "",
) -> bool:
    """Record the person's consent, and a parent's or guardian's when they are under 18."""
    referral = task_work_check(task=task, user=user)
    if not is_case_panel_member(user, referral):
        raise PermissionDenied()
    problems = Problems()
    rows = [("person", person_given, person_on, person_how, "")]
    if referral.is_under_18:
        name = problems.required(
            parent_name,
            "parent_name",
            "The person is under 18: enter the parent's or guardian's name",
        )
        rows.append(("parent", parent_given, parent_on, parent_how, name))
    for who, given, on, how, _name in rows:
        problems.check(
            given is not None,
            f"{who}_given",
            "Select whether the person consents"
            if who == "person"
            else "The person is under 18: select whether a parent or guardian consents",
        )
        if problems.required(on, f"{who}_on", "Enter the date consent was given or refused"):
            problems.check(
                on <= timezone.localdate(), f"{who}_on", "The date cannot be in the future"
            )
        problems.check(
            how in Consent.HowObtained.values, f"{who}_how", "Select how consent was obtained"
        )
    problems.raise_any()
    for who, given, on, how, name in rows:
        consent = Consent.objects.create(
            referral=referral,
            given_by=who,
            parent_name=name,
            given=given,
            on=on,
            how_obtained=how,
            obtained_by=user,
        )
        case_audit(
            "channel.consent", user=user, referral=referral, obj=consent, given_by=who, given=given
        )
    in_place = consent_in_place(referral)
    task_complete(task=task, user=user, stage="consent", consent=in_place)
    return in_place


@transaction.atomic
def consent_withdraw(
    *,
    referral: Referral,
    user,
    withdrawn_on: date | None,
    reason: str,
    given_by: str = Consent.GivenBy.PERSON,
) -> None:
    """Consent withdrawn during support: the open support step ends and a decision is due."""
    case_lock(referral)
    if not is_case_panel_member(user, referral):
        raise PermissionDenied()
    problems = Problems()
    if problems.check(
        given_by in Consent.GivenBy.values, "given_by", "Select whose consent has been withdrawn"
    ):
        consent = _latest_consent(referral, given_by)
        problems.check(
            consent is not None and consent.given and not consent.withdrawn_on,
            None,
            "There is no consent in place to withdraw.",
        )
    withdrawn_on = problems.required(withdrawn_on, "withdrawn_on", "Enter the date of withdrawal")
    reason = problems.required(reason, "reason", "Record why consent was withdrawn")
    problems.raise_any()
    consent.withdrawn_on = withdrawn_on
    consent.withdrawal_reason = reason
    consent.save(update_fields=["withdrawn_on", "withdrawal_reason"])
    case_audit(
        "channel.consent_withdrawn", user=user, referral=referral, obj=consent, reason=reason
    )
    open_step = (
        CaseTask.objects.filter(referral=referral, is_open=True, stage__in=SUPPORT_STAGES)
        .select_related("task")
        .first()
    )
    if open_step is not None:
        task_complete(task=open_step.task, user=user, stage=open_step.stage, consent_withdrawn=True)


@transaction.atomic
def consent_outcome_decide(*, task, user, result: str, rationale: str) -> ChannelDecision:
    referral = task_work_check(task=task, user=user)
    if not is_panel_chair(user, referral):
        raise PermissionDenied(CHAIR_ONLY)
    return _decide_outcome(
        task, user, "consent_outcome", ChannelDecision.Kind.CONSENT_OUTCOME, result, rationale
    )


# --- Support plan and interventions ---------------------------------------------------------


def _intervention_check(problems: Problems, item: dict, prefix: str = "") -> dict:
    """Record the problems of one intervention's answers; the answers, tidied.

    `prefix` names the item's fields in a support plan ("intervention-2-"), so that each
    problem can be put on the row it belongs to.
    """
    kind, owner, provider = item.get("kind"), item.get("owner"), item.get("provider")
    problems.check(
        kind in Intervention.Kind.values, f"{prefix}kind", "Select the kind of intervention"
    )
    description = problems.required(
        item.get("description"), f"{prefix}description", "Describe the intervention"
    )
    problems.check(owner is not None, f"{prefix}owner", "Select who owns this intervention")
    problems.check(
        provider is None or provider.has_role(Role.INTERVENTION_PROVIDER),
        f"{prefix}provider",
        f"{provider} is not a registered intervention provider",
    )
    return {"kind": kind, "description": description, "owner": owner, "provider": provider}


def _intervention_create(*, plan: SupportPlan, user, kind, description, owner, provider):
    intervention = Intervention.objects.create(
        plan=plan, kind=kind, owner=owner, provider=provider, description=description
    )
    if provider is not None:
        assign_perm(VIEW_INTERVENTION, provider, intervention)
    case_audit(
        "channel.intervention_added",
        user=user,
        referral=plan.referral,
        obj=intervention,
        kind=kind,
        provider=getattr(provider, "email", None),
    )
    return intervention


@transaction.atomic
def intervention_add(
    *, referral: Referral, user, kind: str, description: str, owner, provider=None
) -> Intervention:
    case_lock(referral)
    if not is_case_panel_member(user, referral):
        raise PermissionDenied()
    problems = Problems()
    plan = SupportPlan.objects.filter(referral=referral).first()
    if problems.check(plan is not None, None, "Create the support plan first."):
        problems.check(
            CaseTask.objects.filter(
                referral=referral, is_open=True, stage__in=SUPPORT_STAGES
            ).exists(),
            None,
            "Interventions can only be added while the person is being supported.",
        )
    answers = _intervention_check(
        problems,
        {"kind": kind, "description": description, "owner": owner, "provider": provider},
    )
    problems.raise_any()
    return _intervention_create(plan=plan, user=user, **answers)


@transaction.atomic
def support_plan_complete(*, task, user, summary: str, interventions: list[dict]) -> SupportPlan:
    """The plan and its interventions. The problems of the Nth item (from 1) are on fields
    `intervention-N-kind`, `-description`, `-owner` and `-provider`."""
    referral = task_work_check(task=task, user=user)
    if not is_case_panel_member(user, referral):
        raise PermissionDenied()
    problems = Problems()
    summary = problems.required(summary, "summary", "Summarise the support plan")
    problems.check(
        bool(interventions),
        "interventions",
        "Add at least one intervention to the support plan",
    )
    items = [
        _intervention_check(problems, item, f"intervention-{number}-")
        for number, item in enumerate(interventions or [], start=1)
    ]
    problems.raise_any()
    plan = SupportPlan.objects.create(referral=referral, created_by=user, summary=summary)
    for item in items:
        _intervention_create(plan=plan, user=user, **item)
    case_audit(
        "channel.support_plan",
        user=user,
        referral=referral,
        obj=plan,
        interventions=len(items),
    )
    task_complete(task=task, user=user, stage="support_plan", interventions=len(items))
    return plan


@transaction.atomic
def intervention_session_record(
    *,
    intervention: Intervention,
    user,
    held_on: date | None,
    duration_minutes: int | None,
    attended: bool | None,
    notes: str,
) -> InterventionSession:
    """Providers record sessions only on the interventions commissioned from them."""
    referral = intervention.plan.referral
    case_lock(referral)
    if not may_record_session(user, intervention):
        raise PermissionDenied()
    problems = Problems()
    if problems.required(held_on, "held_on", "Enter the date of the session"):
        problems.check(
            held_on <= timezone.localdate(),
            "held_on",
            "The session date cannot be in the future",
        )
    problems.check(
        bool(duration_minutes) and duration_minutes > 0,
        "duration_minutes",
        "Enter how long the session lasted, in minutes",
    )
    problems.check(attended is not None, "attended", "Select whether the person attended")
    notes = problems.required(notes, "notes", "Record what happened in the session")
    problems.raise_any()
    session = InterventionSession.objects.create(
        intervention=intervention,
        held_on=held_on,
        duration_minutes=duration_minutes,
        attended=attended,
        notes=notes,
        recorded_by=user,
    )
    case_audit(
        "channel.session_recorded", user=user, referral=referral, obj=session, attended=attended
    )
    return session


# --- Reviews and exit -----------------------------------------------------------------------


@transaction.atomic
def panel_review_complete(
    *,
    task,
    user,
    progress: str,
    risk: str,
    recommendation: str,
    rationale: str,
    meeting: PanelMeeting | None = None,
) -> PanelReview:
    referral = task_work_check(task=task, user=user)
    if not is_case_panel_member(user, referral):
        raise PermissionDenied()
    if recommendation == PanelReview.Recommendation.EXIT and not is_panel_chair(user, referral):
        raise PermissionDenied(CHAIR_ONLY)
    problems = Problems()
    progress = problems.required(progress, "progress", "Describe the progress made")
    problems.check(risk in Rating.values, "risk", "Select the current risk level")
    problems.check(
        recommendation in PanelReview.Recommendation.values,
        "recommendation",
        "Select whether support continues or the case exits",
    )
    rationale = problems.required(rationale, "rationale", "Give the rationale")
    problems.raise_any()
    review = PanelReview.objects.create(
        referral=referral,
        meeting=meeting,
        risk=risk,
        recommendation=recommendation,
        progress=progress,
        rationale=rationale,
        reviewed_by=user,
    )
    if recommendation == PanelReview.Recommendation.EXIT:
        ChannelDecision.objects.create(
            referral=referral,
            kind=ChannelDecision.Kind.EXIT,
            result=ChannelDecision.Result.EXITED,
            rationale=review.rationale,
            meeting=meeting,
            decided_by=user,
        )
    case_audit(
        "channel.review",
        user=user,
        referral=referral,
        obj=review,
        reason=rationale,
        risk=risk,
        recommendation=recommendation,
    )
    task_complete(task=task, user=user, stage="panel_review", recommendation=recommendation)
    return review


def _interventions_end(referral: Referral) -> list[Intervention]:
    """End the case's live interventions; their providers lose sight of them."""
    today = timezone.localdate()
    ended = list(
        Intervention.objects.filter(plan__referral=referral, ended_on__isnull=True).select_related(
            "provider"
        )
    )
    for intervention in ended:
        intervention.ended_on = today
        intervention.save(update_fields=["ended_on"])
        if intervention.provider_id:
            remove_perm(VIEW_INTERVENTION, intervention.provider, intervention)
    return ended


def interventions_end_on_transfer(*, referral: Referral, user) -> None:
    """A transferred case leaves the support its old area commissioned: the interventions end
    and their providers (and owners, who are no longer on the case) lose them. The new area's
    panel adds its own ("Add an intervention"). Called by the referral process's transfer."""
    ended = _interventions_end(referral)
    UserObjectPermission.objects.filter(
        content_type=ContentType.objects.get_for_model(Intervention),
        object_pk__in=[
            str(pk)
            for pk in Intervention.objects.filter(plan__referral=referral).values_list(
                "pk", flat=True
            )
        ],
    ).delete()
    if ended:
        case_audit(
            "channel.interventions_ended",
            user=user,
            referral=referral,
            reason="The case was transferred to another local authority",
            interventions=[intervention.pk for intervention in ended],
        )


def channel_exit_record(*, referral: Referral) -> None:
    """On exit, interventions end and providers lose sight of them."""
    _interventions_end(referral)
    case_audit(
        "channel.exited",
        referral=referral,
        post_exit_reviews_due=[str(post_exit_due_on(referral, m)) for m in (6, 12)],
    )


def exit_date(referral: Referral) -> date:
    decision = referral.channel_decisions.filter(kind=ChannelDecision.Kind.EXIT).latest()
    return timezone.localtime(decision.decided_at).date()


def post_exit_due_on(referral: Referral, months: int) -> date:
    return exit_date(referral) + relativedelta(months=months)


@transaction.atomic
def post_exit_review_complete(
    *, task, user, assessment: str, concern: bool | None
) -> PostExitReview:
    referral = task_work_check(task=task, user=user)
    if not is_case_panel_member(user, referral):
        raise PermissionDenied()
    months = {"post_exit_review_6": 6, "post_exit_review_12": 12}.get(task.flow_task.name)
    problems = Problems()
    problems.check(months is not None, None, "This page is for a different task.")
    assessment = problems.required(assessment, "assessment", "Record the review's assessment")
    problems.check(concern is not None, "concern", "Select whether the review raises a concern")
    problems.raise_any()
    review = PostExitReview.objects.create(
        referral=referral,
        months=months,
        due_on=post_exit_due_on(referral, months),
        assessment=assessment,
        concern=concern,
        reviewed_by=user,
    )
    case_audit(
        "channel.post_exit_review",
        user=user,
        referral=referral,
        obj=review,
        months=months,
        concern=concern,
    )
    if concern:
        case_audit("channel.reopened", user=user, referral=referral, reason=assessment)
    task_complete(task=task, user=user, stage=task.flow_task.name, concern=concern)
    return review


def channel_stage_close(*, process: ChannelProcess) -> None:
    referral = process.referral
    last = referral.channel_decisions.latest()
    case_status_record(referral=referral, outcome=last.result)
    case_audit("channel.closed", referral=referral, result=last.result)
