"""Cases in each meaningful state, made through the real services, and the people who work them.

One place for every test module: a case is carried to the state a test needs by the same
services the pages and the API call (`BranchesJoinedFactory(people=people)`), so each has its
process, tasks and permissions exactly as the service leaves them. People here are fictional.
"""

import html
import re
from dataclasses import dataclass
from datetime import date
from itertools import count

import factory
from django.contrib.auth.models import Group
from django.utils import timezone
from viewflow.workflow.models import Task

from accounts.models import User
from accounts.roles import Role
from referrals.models import Referral, ReferralStatus
from regions.selectors import route_local_authority
from regions.services import team_add_member
from workflows.channel import services as channel
from workflows.engine.models import CaseTask
from workflows.referral import services
from workflows.referral.intake import referral_process_start
from workflows.referral.models import GatewayCheck

CAMDEN, WESTMINSTER, MANCHESTER = "E09000007", "E09000033", "E08000003"
ALL_CLEAR = {c.value: ("no_trace", "") for c in GatewayCheck.Check}
# What the police share with partners at a step, and the step's own police-only wording.
SHARED_AT_GATHERING = "Known to police for online posting only; safe to work with."
SHARED_AT_RISK = "Medium risk overall; partners can work with the person."
SHARED_AT_OUTCOME = "Channel support is proportionate; police stay in touch."


def sharing(text: str, *, audience: str = "all_partners", basis: str = "ctsa_s38") -> dict:
    """A police step's sharing summary, as its service takes it."""
    return {"share_summary": text, "share_with": audience, "share_basis": basis}


# --- People --------------------------------------------------------------------------------------


def make_user(email: str, role: Role, *teams) -> User:
    user = User.objects.create_user(email=email, password="x" * 12, full_name=email.split("@")[0])
    user.groups.add(Group.objects.get(name=role.value))
    for team in teams:
        team_add_member(team=team, user=user)
    return user


@dataclass
class People:
    referrer: User
    other_referrer: User
    police: User
    police2: User
    la: User
    la2: User
    adviser: User
    adviser2: User
    police_other_region: User
    la_other_la: User
    adviser_other_region: User
    westminster_la: User
    panel: User
    compliance: User


def people_make() -> People:
    """Everyone a Camden case touches, and people of other areas who must see nothing of it."""
    camden = route_local_authority(CAMDEN)
    westminster = route_local_authority(WESTMINSTER)
    manchester = route_local_authority(MANCHESTER)
    return People(
        referrer=make_user("dsl@school.example", Role.REFERRER),
        other_referrer=make_user("dsl@other-school.example", Role.REFERRER),
        police=make_user("pc.one@police.example", Role.CTP_PREVENT_OFFICER, camden.ctp_team),
        police2=make_user("pc.two@police.example", Role.CTP_PREVENT_OFFICER, camden.ctp_team),
        la=make_user("lead@camden.example", Role.LA_PREVENT_LEAD, camden.la_team),
        la2=make_user("lead2@camden.example", Role.LA_PREVENT_LEAD, camden.la_team),
        adviser=make_user("adviser@ho.example", Role.REGIONAL_ADVISER, camden.regional_team),
        adviser2=make_user("adviser2@ho.example", Role.REGIONAL_ADVISER, camden.regional_team),
        police_other_region=make_user(
            "pc@nw-police.example", Role.CTP_PREVENT_OFFICER, manchester.ctp_team
        ),
        la_other_la=make_user("lead@manchester.example", Role.LA_PREVENT_LEAD, manchester.la_team),
        adviser_other_region=make_user(
            "adviser@nw.example", Role.REGIONAL_ADVISER, manchester.regional_team
        ),
        westminster_la=make_user(
            "lead@westminster.example", Role.LA_PREVENT_LEAD, westminster.la_team
        ),
        panel=make_user("panel@camden.example", Role.CHANNEL_PANEL_MEMBER, camden.channel_panel),
        compliance=make_user("scu@ho.example", Role.COMPLIANCE),
    )


def services_team_add(team, user) -> None:
    """Put someone in a team the way the service does, keeping its group in step."""
    team_add_member(team=team, user=user)


def make_chair(people: People, la_code: str = CAMDEN) -> User:
    """The Prevent lead of the case's authority (Camden's by default) also chairs its panel."""
    team_add_member(team=route_local_authority(la_code).channel_panel, user=people.la)
    return people.la


# --- Tasks ---------------------------------------------------------------------------------------


def open_tasks(referral) -> dict[str, Task]:
    return {
        ct.stage: ct.task
        for ct in CaseTask.objects.filter(referral=referral, is_open=True).select_related("task")
    }


def open_task(referral, stage: str) -> Task:
    tasks = open_tasks(referral)
    assert stage in tasks, f"no open {stage} task; open: {sorted(tasks)}"
    return Task.objects.get(pk=tasks[stage].pk)


# --- Carrying a case through its steps ----------------------------------------------------------

_reference = count(1)


def submit_referral(
    referrer: User,
    *,
    la_code: str = CAMDEN,
    dob: date = date(1990, 5, 1),
    first_name: str = "Testy",
    last_name: str = "McExample",
) -> Referral:
    """A complete referral, routed and started the way submission does it."""
    route = route_local_authority(la_code)
    referral = Referral.objects.create(
        created_by=referrer,
        status=ReferralStatus.SUBMITTED,
        reference=f"PRV-2026-{next(_reference):06d}",
        first_name=first_name,
        last_name=last_name,
        date_of_birth=dob,
        local_authority=route.local_authority,
        region=route.region,
        police_force_area=route.police_force_area,
        referrer_email=referrer.email,
        concern_type="extreme_right_wing",
        narrative="Shared violent extremist material.",
    )
    referral_process_start(referral=referral, actor=referrer)
    referral.refresh_from_db()
    return referral


def police_branch(referral, officer) -> None:
    services.task_acknowledge(task=open_task(referral, "police_acknowledge"), user=officer)
    services.police_deconfliction_complete(
        task=open_task(referral, "police_deconfliction"), user=officer, outcome="no_conflict"
    )
    services.police_gateway_checks_complete(
        task=open_task(referral, "police_gateway_checks"), user=officer, checks=ALL_CLEAR
    )
    services.police_information_gathering_complete(
        task=open_task(referral, "police_information_gathering"),
        user=officer,
        summary="Spoke to the school; material confirmed.",
        **sharing(SHARED_AT_GATHERING, audience="local_authority", basis="crime_and_disorder_s115"),
    )


def la_branch(referral, lead, **extra) -> None:
    services.task_acknowledge(task=open_task(referral, "la_acknowledge"), user=lead)
    services.la_initial_discussion_complete(
        task=open_task(referral, "la_initial_discussion"),
        user=lead,
        held_on=referral.submitted_at or referral.created_at.date(),
        summary="Discussed with the designated safeguarding lead.",
    )
    checks = {
        "social_care": "Not known to social care",
        "education": "Attendance good",
        "health": "No concerns",
        "domestic_abuse_result": "no_concern",
        "domestic_abuse_notes": "Checked with the domestic abuse service: nothing held.",
    } | extra
    services.la_safeguarding_checks_complete(
        task=open_task(referral, "la_safeguarding_checks"), user=lead, **checks
    )


def decide(referral, officer, *, meets: bool):
    return services.threshold_decide(
        task=open_task(referral, "threshold_decision"),
        user=officer,
        ideological_element=True,
        ideology="extreme_right_wing",
        terrorism_risk=meets,
        rationale="Ideology clear; risk assessed against the threshold.",
    )


def risk_assess(referral, officer):
    return services.risk_assessment_complete(
        task=open_task(referral, "risk_assessment"),
        user=officer,
        engagement_rating="high",
        engagement_evidence="e",
        intent_rating="medium",
        intent_evidence="e",
        capability_rating="low",
        capability_evidence="e",
        overall_risk="medium",
        summary="s",
        **sharing(SHARED_AT_RISK),
    )


def join_branches(people: People, referral) -> Referral:
    police_branch(referral, people.police)
    extra = {}
    if referral.is_under_18:
        extra = {"mash_notified_on": referral.created_at.date(), "mash_response": "Known to MASH"}
    la_branch(referral, people.la, **extra)
    return referral


def refer_to_channel(people: People, referral) -> Referral:
    join_branches(people, referral)
    decide(referral, people.police, meets=True)
    risk_assess(referral, people.police)
    services.outcome_decide(
        task=open_task(referral, "outcome_decision"),
        user=people.police,
        outcome="channel",
        rationale="Vulnerable; support needed.",
        **sharing(SHARED_AT_OUTCOME),
    )
    return referral


def adopt(referral, chair, adopt=True):
    return channel.adoption_decide(
        task=open_task(referral, "adoption_decision"),
        user=chair,
        adopt=adopt,
        rationale="Panel agreed.",
    )


def consent(referral, user, given=True, **parent):
    return channel.consent_record(
        task=open_task(referral, "consent"),
        user=user,
        person_given=given,
        person_on=timezone.localdate(),
        person_how="in_person",
        **parent,
    )


def plan(referral, user, owner, provider=None):
    return channel.support_plan_complete(
        task=open_task(referral, "support_plan"),
        user=user,
        summary="Mentoring and education",
        interventions=[
            {
                "kind": "mentoring",
                "description": "Weekly mentoring",
                "owner": owner,
                "provider": provider,
            },
            {"kind": "education", "description": "College course", "owner": owner},
        ],
    )


def review(referral, user, recommendation):
    return channel.panel_review_complete(
        task=open_task(referral, "panel_review"),
        user=user,
        progress="Engaging well",
        risk="low",
        recommendation=recommendation,
        rationale="Progress sustained.",
    )


# --- One factory per state ----------------------------------------------------------------------


class _CaseFactory(factory.Factory):
    """A case carried to a state by the services. Pass `people`; the rest is optional."""

    class Meta:
        model = Referral

    first_name = "Testy"
    dob = date(1990, 5, 1)
    la_code = CAMDEN

    @classmethod
    def _create(cls, model_class, *, people: People, **kwargs):
        referral = submit_referral(people.referrer, **kwargs)
        cls.carry(people, referral)
        referral.refresh_from_db()
        return referral

    @classmethod
    def carry(cls, people: People, referral) -> None:
        """Take a just-submitted case on to this factory's state."""


class SubmittedCaseFactory(_CaseFactory):
    """Submitted: both acknowledgements are open."""


class BranchesJoinedFactory(_CaseFactory):
    """Both branches done: the threshold decision is open."""

    @classmethod
    def carry(cls, people, referral):
        join_branches(people, referral)


class ThresholdMetCaseFactory(BranchesJoinedFactory):
    """Meets the threshold: the police risk assessment is open."""

    @classmethod
    def carry(cls, people, referral):
        super().carry(people, referral)
        decide(referral, people.police, meets=True)


class ChannelCaseFactory(ThresholdMetCaseFactory):
    """Referred to Channel: the panel's adoption decision is open."""

    @classmethod
    def carry(cls, people, referral):
        super().carry(people, referral)
        risk_assess(referral, people.police)
        services.outcome_decide(
            task=open_task(referral, "outcome_decision"),
            user=people.police,
            outcome="channel",
            rationale="Vulnerable; support needed.",
            **sharing(SHARED_AT_OUTCOME),
        )


class ChannelAdoptedCaseFactory(ChannelCaseFactory):
    """Adopted by the panel (its chair is Camden's Prevent lead): consent is open."""

    @classmethod
    def carry(cls, people, referral):
        super().carry(people, referral)
        adopt(referral, make_chair(people, referral.local_authority.code))


class InSupportFactory(ChannelAdoptedCaseFactory):
    """Consent given and a support plan made: the first panel review is open."""

    @classmethod
    def carry(cls, people, referral):
        super().carry(people, referral)
        consent(referral, people.panel)
        plan(referral, people.panel, owner=people.la)


class ExitedCaseFactory(InSupportFactory):
    """Exited Channel: the 6-month post-exit review waits on its timer."""

    @classmethod
    def carry(cls, people, referral):
        super().carry(people, referral)
        review(referral, people.la, "exit")


# --- A case whose police records must stay with the police ------------------------------------

# Police records, each worded so a page or a response that shows it can be caught.
POLICE_ONLY = {
    "deconfliction": "Subject of live operation KESTREL; Prevent may proceed.",
    "trigger": "Second report from KESTREL's source",
    "trace": "ViSOR nominal record held since 2019.",
    "gathering": "Intelligence holdings show contact with a proscribed group.",
    "risk": "Searched online for weapon components.",
    "rationale": "Pursue considered; the KESTREL team content for Prevent to lead.",
    "note": "Source handler reports renewed contact.",
}
SHARED_WITH_LA = "Known to police for online posting; safe for the LA to visit."
SHARED_WITH_ALL = "Medium risk overall; partners can work with the person safely."
SHARED_WITH_PANEL = "Channel rather than police action: mentoring is proportionate."


def police_branch_with_records(referral, officer) -> None:
    """The police branch, writing every kind of police record, and sharing one thing with the
    local authority."""
    services.task_acknowledge(task=open_task(referral, "police_acknowledge"), user=officer)
    services.police_deconfliction_complete(
        task=open_task(referral, "police_deconfliction"),
        user=officer,
        outcome="conflict_managed",
        notes=POLICE_ONLY["deconfliction"],
    )
    services.police_gateway_checks_complete(
        task=open_task(referral, "police_gateway_checks"),
        user=officer,
        checks=ALL_CLEAR | {"visor": ("trace", POLICE_ONLY["trace"])},
    )
    services.police_information_gathering_complete(
        task=open_task(referral, "police_information_gathering"),
        user=officer,
        summary=POLICE_ONLY["gathering"],
        **sharing(SHARED_WITH_LA, audience="local_authority", basis="crime_and_disorder_s115"),
    )
    services.deconfliction_record(
        referral=referral, user=officer, outcome="conflict_managed", trigger=POLICE_ONLY["trigger"]
    )
    services.case_note_add(referral=referral, user=officer, kind="note", text=POLICE_ONLY["note"])


class PoliceRecordsBelowThresholdFactory(_CaseFactory):
    """Police records written, then below the threshold: the LA's outcome and letter is open."""

    @classmethod
    def carry(cls, people, referral):
        police_branch_with_records(referral, people.police)
        la_branch(referral, people.la)
        decide(referral, people.police, meets=False)


class PoliceRecordsChannelFactory(_CaseFactory):
    """Referred to Channel with every kind of police record, and one disclosure to each
    audience: the LA at information gathering, all partners at the risk assessment, the
    panel at the outcome."""

    @classmethod
    def carry(cls, people, referral):
        police_branch_with_records(referral, people.police)
        la_branch(referral, people.la)
        decide(referral, people.police, meets=True)
        services.risk_assessment_complete(
            task=open_task(referral, "risk_assessment"),
            user=people.police,
            engagement_rating="medium",
            engagement_evidence="Shares the material.",
            intent_rating="low",
            intent_evidence="None stated.",
            capability_rating="medium",
            capability_evidence=POLICE_ONLY["risk"],
            overall_risk="medium",
            summary="Medium.",
            **sharing(SHARED_WITH_ALL),
        )
        services.outcome_decide(
            task=open_task(referral, "outcome_decision"),
            user=people.police,
            outcome="channel",
            rationale=POLICE_ONLY["rationale"],
            **sharing(SHARED_WITH_PANEL, audience="panel"),
        )


# --- Reading pages ------------------------------------------------------------------------------


def error_summary(response) -> dict[str, list[str]]:
    """The messages a page's GOV.UK error summary lists, by the field each links to (a date's
    day box counts as its field), errors about the whole form under `non_field_errors`."""
    page = response.content.decode()
    assert 'class="govuk-error-summary"' in page, "the page shows no error summary"
    body = page.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    errors: dict[str, list[str]] = {}
    for item in re.findall(r"<li>(.*?)</li>", body, re.DOTALL):
        link = re.fullmatch(r'<a href="#id_(\w+?)(?:-day)?">(.*)</a>', item.strip(), re.DOTALL)
        field, message = link.groups() if link else ("non_field_errors", item.strip())
        errors.setdefault(field, []).append(html.unescape(message))
    return errors
