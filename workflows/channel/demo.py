"""Demo cases at every point of the Channel stage, in Camden. Never used in production.

Each case is a real referral, submitted and worked through the same services the pages call:
police and local-authority intake, threshold, risk assessment, referral to Channel, then as far
into Channel as the case needs to go. Everyone in it is fictional.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from referrals.models import Referral
from referrals.services import referral_create_draft, referral_update_section

from ..engine.models import CaseTask
from ..referral import services
from ..referral.intake import referral_submit
from ..referral.models import GatewayCheck
from . import services as channel

PEOPLE = {
    "at_panel": ("Jamie", "Specimen", 24),
    "consent": ("Riley", "Sample", 15),
    "in_support": ("Casey", "Placeholder", 19),
    "exited": ("Taylor", "Example", 22),
    "review_due": ("Alex", "Instance", 17),
}


def _open_task(referral: Referral, stage: str) -> Task:
    return (
        CaseTask.objects.select_related("task")
        .get(referral=referral, stage=stage, is_open=True)
        .task
    )


def _date(prefix: str, day) -> dict:
    return {f"{prefix}-day": day.day, f"{prefix}-month": day.month, f"{prefix}-year": day.year}


def _submit(referrer, first_name: str, last_name: str, age: int) -> Referral:
    today = timezone.localdate()
    dob = today.replace(year=today.year - age, day=1) - timedelta(days=40)
    answers = {
        "person": {
            "first_name": first_name,
            "last_name": last_name,
            **_date("date_of_birth", dob),
            "gender": "not_known",
        },
        "address": {"address_line_1": "2 Example Road", "town": "London", "postcode": "NW1 2DB"},
        "circumstances": {"school_or_employer": referrer.organisation, "person_aware": "yes"},
        "about-you": {
            "referrer_name": referrer.full_name,
            "referrer_role": "Designated safeguarding lead",
            "referrer_organisation": referrer.organisation,
            "referrer_sector": "education",
            "referrer_email": referrer.email,
            "referrer_phone": "020 7946 0000",
        },
        "concern": {
            "concern_type": "violence_fascination",
            "narrative": "Has been watching videos glorifying mass-casualty attacks.",
            "seen_or_heard": "A teacher saw the videos on a school laptop.",
            **_date("seen_on", today - timedelta(days=30)),
        },
        "risk-and-needs": {"immediate_risk": "no", "complex_needs": []},
    }
    referral = referral_create_draft(user=referrer)
    for section, data in answers.items():
        referral = referral_update_section(
            user=referrer, referral=referral, section=section, data=data
        )
    return referral_submit(user=referrer, referral=referral, declaration_confirmed=True)


def _to_channel(referral: Referral, police, lead) -> None:
    """Intake, threshold and risk assessment, ending with the police referring to Channel."""
    today = timezone.localdate()
    services.task_acknowledge(task=_open_task(referral, "police_acknowledge"), user=police)
    services.police_deconfliction_complete(
        task=_open_task(referral, "police_deconfliction"), user=police, outcome="no_conflict"
    )
    services.police_gateway_checks_complete(
        task=_open_task(referral, "police_gateway_checks"),
        user=police,
        checks={check.value: ("no_trace", "") for check in GatewayCheck.Check},
    )
    services.police_information_gathering_complete(
        task=_open_task(referral, "police_information_gathering"),
        user=police,
        summary="Spoke to the school; the videos are confirmed.",
        share_summary="Nothing to share beyond the referral.",
        share_with="local_authority",
        share_basis="crime_and_disorder_s115",
    )
    services.task_acknowledge(task=_open_task(referral, "la_acknowledge"), user=lead)
    services.la_initial_discussion_complete(
        task=_open_task(referral, "la_initial_discussion"),
        user=lead,
        held_on=today,
        summary="Discussed with the designated safeguarding lead.",
    )
    mash = (
        {"mash_notified_on": today, "mash_response": "Known to early help; no open plan."}
        if referral.is_under_18
        else {}
    )
    services.la_safeguarding_checks_complete(
        task=_open_task(referral, "la_safeguarding_checks"),
        user=lead,
        social_care="Not known to social care",
        education="Attendance has dropped this term",
        health="Waiting for a neurodevelopmental assessment",
        domestic_abuse_result="no_concern",
        domestic_abuse_notes="Checked with the domestic abuse service: nothing held.",
        **mash,
    )
    services.threshold_decide(
        task=_open_task(referral, "threshold_decision"),
        user=police,
        ideological_element=True,
        ideology="violence_fascination",
        terrorism_risk=True,
        rationale="Fixation on mass-casualty violence with a growing interest in attackers.",
    )
    services.risk_assessment_complete(
        task=_open_task(referral, "risk_assessment"),
        user=police,
        engagement_rating="medium",
        engagement_evidence="Watches and shares attack footage.",
        intent_rating="low",
        intent_evidence="No stated intent to harm.",
        capability_rating="low",
        capability_evidence="No access to weapons found.",
        overall_risk="medium",
        summary="Vulnerable; multi-agency support is the right response.",
        share_summary="Medium risk: fascinated by attack footage, no intent or capability "
        "found. Safe for partners to work with.",
        share_with="all_partners",
        share_basis="ctsa_s38",
    )
    services.outcome_decide(
        task=_open_task(referral, "outcome_decision"),
        user=police,
        outcome="channel",
        rationale="Meets the threshold; support through Channel is proportionate.",
        share_summary="Referred to Channel for mentoring and help at school.",
        share_with="panel",
        share_basis="ctsa_s38",
    )


def _adopt_and_consent(referral: Referral, chair, member) -> None:
    today = timezone.localdate()
    channel.adoption_decide(
        task=_open_task(referral, "adoption_decision"),
        user=chair,
        adopt=True,
        rationale="Vulnerable to radicalisation; the family and school support referral.",
    )
    parent = (
        {
            "parent_given": True,
            "parent_name": f"Jo {referral.last_name}",
            "parent_on": today,
            "parent_how": "in_person",
        }
        if referral.is_under_18
        else {}
    )
    channel.consent_record(
        task=_open_task(referral, "consent"),
        user=member,
        person_given=True,
        person_on=today,
        person_how="in_person",
        **parent,
    )


def _support(referral: Referral, chair, member, provider) -> None:
    channel.support_plan_complete(
        task=_open_task(referral, "support_plan"),
        user=member,
        summary="Mentoring on the harms of violent content, and a return to education.",
        interventions=[
            {
                "kind": "mentoring",
                "description": "Weekly one-to-one mentoring",
                "owner": chair,
                "provider": provider,
            },
            {
                "kind": "education",
                "description": "Support back into full-time college",
                "owner": member,
            },
        ],
    )


def _exit(referral: Referral, chair) -> None:
    channel.panel_review_complete(
        task=_open_task(referral, "panel_review"),
        user=chair,
        progress="Engaged well with mentoring; back in college full time.",
        risk="low",
        recommendation="exit",
        rationale="Progress sustained over three reviews; no remaining concerns.",
    )


def build_cases(users) -> str:
    referrer = users.by_key["referrer-camden"]
    police = users.by_key["police-london"]
    chair = users.by_key["la-camden"]  # the LA Prevent lead chairs Camden's Channel panel
    member = users.by_key["panel-camden"]
    provider = users.by_key["provider-camden"]
    first_name, last_name, _ = PEOPLE["at_panel"]
    if Referral.objects.filter(
        created_by=referrer, first_name=first_name, last_name=last_name
    ).exists():
        return "Channel demo cases: already present, left as they are"

    cases = {}
    with transaction.atomic():
        for key, (first, last, age) in PEOPLE.items():
            cases[key] = _submit(referrer, first, last, age)
            _to_channel(cases[key], police, chair)

        panel = CaseTask.objects.get(referral=cases["at_panel"], is_open=True).team
        meeting = channel.panel_meeting_create(
            panel=panel,
            user=chair,
            meets_on=timezone.localdate() + timedelta(days=7),
            location="Camden Town Hall, committee room 2",
        )
        channel.agenda_add(
            meeting=meeting, referral=cases["at_panel"], purpose="adoption", user=chair
        )

        channel.adoption_decide(
            task=_open_task(cases["consent"], "adoption_decision"),
            user=chair,
            adopt=True,
            rationale="Young and vulnerable; support offered with the family's agreement.",
        )

        for key in ("in_support", "exited", "review_due"):
            _adopt_and_consent(cases[key], chair, member)
            _support(cases[key], chair, member, provider)
        mentoring = cases["in_support"].support_plan.interventions.get(kind="mentoring")
        channel.intervention_session_record(
            intervention=mentoring,
            user=provider,
            held_on=timezone.localdate() - timedelta(days=3),
            duration_minutes=60,
            attended=True,
            notes="Talked about where the videos came from and how they made them feel.",
        )
        channel.agenda_add(
            meeting=meeting, referral=cases["in_support"], purpose="review", user=chair
        )

        for key in ("exited", "review_due"):
            _exit(cases[key], chair)

        # Exit dates are stamped when recorded, so a demo case cannot have left six months
        # ago. Instead its six-month timer is brought forward to now: the next run of the
        # `workflows.tasks.workflow_fire_timers` beat job (every 15 minutes under `make beat`)
        # creates the post-exit review task for the panel, as it would on the real due date.
        brought_forward = Task.objects.filter(
            process__channelprocess__referral=cases["review_due"],
            flow_task_type="TIMER",
            status=STATUS.SCHEDULED,
        ).update(scheduled=timezone.now())

    return (
        f"Channel demo cases (Camden): {cases['at_panel'].reference} and "
        f"{cases['consent'].reference} at panel, {cases['in_support'].reference} in support, "
        f"{cases['exited'].reference} exited, {cases['review_due'].reference} due for its "
        f"6-month post-exit review ({brought_forward} timer due on the next beat run)"
    )
