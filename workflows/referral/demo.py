"""Demo cases at every stage of the referral process, in both demo regions. Never in production.

Each case is a real referral submitted through the referral journey's services and worked
through the same services the pages call, so the queue, the case pages, the timelines and the
audit trail all look as they would in use. Everyone in it is fictional. The Channel stage has
its own demo cases (workflows/channel/demo.py); the intake journey its own (referrals/demo.py).
"""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task

from referrals.models import Referral
from referrals.services import referral_create_draft, referral_update_section

from ..engine import services as engine
from ..engine.models import CaseTask
from . import services
from .intake import referral_submit
from .models import GatewayCheck

POSTCODES = {
    "camden": "NW1 2DB",
    "westminster": "SW1A 2AA",
    "manchester": "M60 2LA",
    "salford": "M5 4WT",
}
REGION_OF = {
    "camden": "london",
    "westminster": "london",
    "manchester": "north-west",
    "salford": "north-west",
}

# key: (first name, last name, age, local authority, concern type)
PEOPLE = {
    "new": ("Noah", "Testwell", 16, "camden", "extreme_right_wing"),
    "police_underway": ("Priya", "Mockford", 19, "camden", "islamist"),
    "waiting_for_la": ("Kai", "Fictional", 23, "westminster", "no_clear_ideology"),
    "threshold": ("Zara", "Madeup", 27, "camden", "left_wing_single_issue"),
    "assurance": ("Owen", "Dummy", 15, "camden", "violence_fascination"),
    "below_threshold": ("Maya", "Exemplar", 31, "westminster", "no_clear_ideology"),
    "risk_assessment": ("Theo", "Notreal", 20, "manchester", "extreme_right_wing"),
    "outcome": ("Isla", "Imaginary", 17, "camden", "extreme_right_wing"),
    "closed": ("Ellis", "Samplewood", 34, "westminster", "other"),
    "pursue": ("Finn", "Standin", 26, "manchester", "islamist"),
    "police_led": ("Ruby", "Surrogate", 22, "salford", "extreme_right_wing"),
    "transferred": ("Leon", "Facsimile", 18, "camden", "no_clear_ideology"),
}
NARRATIVES = {
    "extreme_right_wing": "Has been sharing racist memes and talking about a coming 'race war'.",
    "islamist": "Has started to express support for a proscribed group online.",
    "no_clear_ideology": "Mixes material from several extremist causes; talks of violence.",
    "left_wing_single_issue": "Talks of sabotaging a local animal-testing site.",
    "violence_fascination": "Watches videos of school attacks and rates the attackers.",
    "other": "Posts threats against a named politician.",
}
ALL_CLEAR = {check.value: ("no_trace", "") for check in GatewayCheck.Check}


def _date(prefix: str, day: date) -> dict:
    return {f"{prefix}-day": day.day, f"{prefix}-month": day.month, f"{prefix}-year": day.year}


def _submit(users, key: str) -> Referral:
    first, last, age, la, concern = PEOPLE[key]
    referrer = users.by_key[f"referrer-{la}"]
    today = timezone.localdate()
    dob = today.replace(year=today.year - age, day=1) - timedelta(days=60)
    answers = {
        "person": {
            "first_name": first,
            "last_name": last,
            **_date("date_of_birth", dob),
            "gender": "not_known",
        },
        "address": {
            "address_line_1": "3 Example Lane",
            "town": "Example Town",
            "postcode": POSTCODES[la],
        },
        "circumstances": {"school_or_employer": referrer.organisation, "person_aware": "no"},
        "about-you": {
            "referrer_name": referrer.full_name,
            "referrer_role": "Designated safeguarding lead",
            "referrer_organisation": referrer.organisation,
            "referrer_sector": "education",
            "referrer_email": referrer.email,
            "referrer_phone": "020 7946 0000",
        },
        "concern": {
            "concern_type": concern,
            "concern_type_other": "Threats against a public figure" if concern == "other" else "",
            "narrative": NARRATIVES[concern],
            "seen_or_heard": "A member of staff saw it and reported it the same day.",
            **_date("seen_on", today - timedelta(days=6)),
        },
        "risk-and-needs": {"immediate_risk": "no", "complex_needs": []},
    }
    referral = referral_create_draft(user=referrer)
    for section, data in answers.items():
        referral = referral_update_section(
            user=referrer, referral=referral, section=section, data=data
        )
    return referral_submit(user=referrer, referral=referral, declaration_confirmed=True)


def _task(referral: Referral, stage: str) -> Task:
    return (
        CaseTask.objects.select_related("task")
        .get(referral=referral, stage=stage, is_open=True)
        .task
    )


class _Case:
    """One demo referral and the people who work it."""

    def __init__(self, users, key: str):
        la = PEOPLE[key][3]
        region = REGION_OF[la]
        self.referral = _submit(users, key)
        self.police = users.by_key[f"police-{region}"]
        self.lead = users.by_key[f"la-{la}"]
        self.adviser = users.by_key[f"adviser-{region}"]
        self.today = timezone.localdate()

    def task(self, stage: str) -> Task:
        return _task(self.referral, stage)

    def police_started(self):
        services.task_acknowledge(task=self.task("police_acknowledge"), user=self.police)
        services.police_deconfliction_complete(
            task=self.task("police_deconfliction"),
            user=self.police,
            outcome="no_conflict",
            notes="No link to any live investigation.",
        )

    def police_branch(self):
        self.police_started()
        services.police_gateway_checks_complete(
            task=self.task("police_gateway_checks"),
            user=self.police,
            checks=ALL_CLEAR
            | {"previous_prevent": ("trace", "Spoken to by a school Prevent lead in 2023.")},
        )
        services.police_information_gathering_complete(
            task=self.task("police_information_gathering"),
            user=self.police,
            summary="Spoke to the school; the material is as described.",
            sources="Police national systems; school records.",
            referrer_contact="Called the designated safeguarding lead.",
            share_summary="Previous Prevent contact through the school in 2023; nothing else "
            "known to police that the local authority needs now.",
            share_with="local_authority",
            share_basis="crime_and_disorder_s115",
        )

    def la_started(self):
        services.task_acknowledge(task=self.task("la_acknowledge"), user=self.lead)
        services.la_initial_discussion_complete(
            task=self.task("la_initial_discussion"),
            user=self.lead,
            held_on=self.today,
            summary="Went through the concern with the referrer; no new information.",
        )

    def la_branch(self):
        self.la_started()
        mash = (
            {"mash_notified_on": self.today, "mash_response": "Known to early help; no plan."}
            if self.referral.is_under_18
            else {}
        )
        services.la_safeguarding_checks_complete(
            task=self.task("la_safeguarding_checks"),
            user=self.lead,
            social_care="Not known to social care.",
            education="Attendance has dropped this term.",
            health="Registered with a GP; no concerns shared.",
            domestic_abuse_result="no_concern",
            domestic_abuse_notes="Checked with the domestic abuse service: nothing held.",
            **mash,
        )

    def threshold(self, *, meets: bool):
        services.threshold_decide(
            task=self.task("threshold_decision"),
            user=self.police,
            ideological_element=meets,
            ideology=self.referral.concern_type if meets else "",
            terrorism_risk=meets,
            rationale="Both branches' findings weighed against the Prevent threshold.",
        )

    def risk_assessment(self, overall: str = "medium"):
        services.risk_assessment_complete(
            task=self.task("risk_assessment"),
            user=self.police,
            engagement_rating="high",
            engagement_evidence="Shares the material daily and defends it.",
            intent_rating="medium",
            intent_evidence="Has talked about 'doing something'.",
            capability_rating="low",
            capability_evidence="No access to weapons found.",
            overall_risk=overall,
            summary="Engaged with the ideology; some intent; little capability.",
            share_summary="Medium risk overall: engaged with the ideology, little capability. "
            "Partners can work with the person safely.",
            share_with="all_partners",
            share_basis="ctsa_s38",
        )

    def outcome(self, outcome: str, **extra):
        sharing = (
            {
                "share_summary": "Support from partners is proportionate; police will stay "
                "in touch with the panel.",
                "share_with": "all_partners",
                "share_basis": "ctsa_s38",
            }
            if outcome in ("channel", "police_led")
            else {}
        )
        services.outcome_decide(
            task=self.task("outcome_decision"),
            user=self.police,
            outcome=outcome,
            rationale="The risk assessment and partners' views support this outcome.",
            **sharing,
            **extra,
        )


def build_cases(users) -> str:
    first, last = PEOPLE["new"][:2]
    if Referral.objects.filter(first_name=first, last_name=last).exists():
        return "Referral process demo cases: already present, left as they are"
    with transaction.atomic():
        # A repeat referral: Noah was referred and closed below the threshold before.
        earlier = _Case(users, "new")
        earlier.police_branch()
        earlier.la_branch()
        earlier.threshold(meets=False)
        services.assurance_review_decide(
            task=earlier.task("assurance_review"), user=earlier.adviser, confirm=True
        )
        services.below_threshold_outcome_complete(
            task=earlier.task("below_threshold_outcome"),
            user=earlier.lead,
            outcome="signposted",
            signposted_to="Camden early help service",
            letter="Thank you for your referral. We have pointed Noah to early help.",
        )
        new = _Case(users, "new")  # matched to the earlier referral for the adviser to check
        engine.task_claim(task=new.task("police_acknowledge"), user=new.police)

        case = _Case(users, "police_underway")
        case.police_started()
        services.task_acknowledge(task=case.task("la_acknowledge"), user=case.lead)

        case = _Case(users, "waiting_for_la")
        case.police_branch()
        case.la_started()
        services.deconfliction_record(
            referral=case.referral,
            user=case.police,
            outcome="no_conflict",
            trigger="The school sent a second report",
        )

        case = _Case(users, "threshold")
        case.la_branch()
        case.police_branch()

        case = _Case(users, "assurance")
        case.police_branch()
        case.la_branch()
        case.threshold(meets=False)

        case = _Case(users, "below_threshold")
        case.police_branch()
        case.la_branch()
        case.threshold(meets=False)

        case = _Case(users, "risk_assessment")
        case.police_branch()
        case.la_branch()
        case.threshold(meets=True)

        case = _Case(users, "outcome")
        case.police_branch()
        case.la_branch()
        case.threshold(meets=True)
        case.risk_assessment()
        assessment = services.home_visit_assessment_record(
            referral=case.referral,
            user=case.police,
            risks_identified="Older brother has a history of violence.",
            controls="Two officers; visit when the brother is at work.",
            visit_safe=True,
        )
        services.home_visit_record(
            referral=case.referral,
            user=case.police,
            visited_on=timezone.localtime(assessment.assessed_at).date(),
            notes="Met Isla and her mother; both engaged well.",
        )

        case = _Case(users, "closed")
        case.police_branch()
        case.la_branch()
        case.threshold(meets=False)
        services.below_threshold_outcome_complete(
            task=case.task("below_threshold_outcome"),
            user=case.lead,
            outcome="no_further_action",
            letter="Thank you for your referral. We have decided no further action is needed.",
        )

        case = _Case(users, "pursue")
        case.police_branch()
        case.la_branch()
        case.threshold(meets=True)
        case.risk_assessment("high")
        case.outcome(
            "pursue",
            handover_to="North West CT unit, Pursue team",
            handover_notes="Handover meeting held; all material passed on.",
        )

        case = _Case(users, "police_led")
        case.police_branch()
        case.la_branch()
        case.threshold(meets=True)
        case.risk_assessment("low")
        case.outcome("police_led")

        case = _Case(users, "transferred")
        services.task_acknowledge(task=case.task("police_acknowledge"), user=case.police)
        services.case_transfer(
            referral=case.referral,
            user=case.adviser,
            to_local_authority=users.by_key["la-westminster"]
            .teams.get(kind="la_prevent")
            .local_authority,
            reason="The family moved to Westminster.",
        )
        # Cover for leave: the adviser hands the new police tasks to their officer.
        engine.tasks_assign(
            tasks=[case.task("police_deconfliction")],
            assignee=case.police,
            user=case.adviser,
            reason="Covering for a colleague on leave",
        )

    open_count = CaseTask.objects.filter(
        referral__first_name__in=[p[0] for p in PEOPLE.values()], is_open=True
    ).count()
    return (
        f"Referral process demo cases: {len(PEOPLE) + 1} referrals in London and the North West "
        f"at every stage from submission to outcome, {open_count} open tasks"
    )
