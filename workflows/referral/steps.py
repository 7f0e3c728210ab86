"""The referral flow's human steps, each declared once: team, who may complete it, form,
service and page. The task page and the API's `complete` both dispatch through these.

Who may complete a step is its `may_work`: for every step here the default, a member of the
team that owns the task now (the grant follows the case when it is transferred).
"""

from regions.models import Team

from ..engine.permissions import case_roles
from ..engine.registry import Step, register
from . import forms as wf
from . import selectors, services
from .flows import ReferralFlow
from .models import InitialDiscussion

POLICE, LA, ADVISERS = Team.Kind.CTP_PREVENT, Team.Kind.LA_PREVENT, Team.Kind.REGIONAL_ADVISERS


def _plain(form_class):
    return lambda task, data, user: form_class(data)


def _records(task, user) -> dict:
    """The case's records so far, for decisions that weigh them, as this reader may see them:
    the LA's page of a below-threshold outcome shows what the police shared, not their
    records."""
    referral = task.case.referral
    reader = selectors.CaseReader.of(case_roles(user, referral))
    return {"case": selectors.case_page_data(referral, reader)}


def _assurance_context(task, user) -> dict:
    context = _records(task, user)
    if context["case"].threshold_decisions:
        context["decision"] = context["case"].threshold_decisions[-1]
    return context


def _discussion(task) -> InitialDiscussion | None:
    return (
        InitialDiscussion.objects.filter(referral=task.case.referral)
        .select_related("held_by", "held_by_team")
        .first()
    )


def _initial_discussion_form(task, data, user):
    """The police may already have held it: then the LA confirms it instead of repeating it."""
    if _discussion(task) is not None:
        return wf.ConfirmDiscussionForm(data)
    return wf.InitialDiscussionForm(data)


def _template(name: str) -> str:
    return f"workflows/tasks/{name}.html"


STEPS: dict[str, Step] = {
    "police_acknowledge": Step(
        team=POLICE,
        form=_plain(wf.AcknowledgeForm),
        service=services.task_acknowledge,
        template=_template("acknowledge"),
        done="Referral acknowledged",
        submit="Acknowledge the referral",
    ),
    "police_deconfliction": Step(
        team=POLICE,
        form=_plain(wf.DeconflictionForm),
        service=services.police_deconfliction_complete,
        template=_template("deconfliction"),
        done="Deconfliction recorded",
        submit="Record the deconfliction",
    ),
    "police_gateway_checks": Step(
        team=POLICE,
        form=_plain(wf.GatewayChecksForm),
        service=services.police_gateway_checks_complete,
        template=_template("gateway_checks"),
        done="Gateway checks recorded",
        submit="Record the gateway checks",
    ),
    "police_information_gathering": Step(
        team=POLICE,
        form=_plain(wf.InformationGatheringForm),
        service=services.police_information_gathering_complete,
        template=_template("information_gathering"),
        done="Information gathering recorded",
        submit="Record the information gathered",
    ),
    "la_acknowledge": Step(
        team=LA,
        form=_plain(wf.AcknowledgeForm),
        service=services.task_acknowledge,
        template=_template("acknowledge"),
        done="Referral acknowledged",
        submit="Acknowledge the referral",
    ),
    "la_initial_discussion": Step(
        team=LA,
        form=_initial_discussion_form,
        service=services.la_initial_discussion_complete,
        template=_template("initial_discussion"),
        done="Initial discussion recorded",
        context=lambda task, user: {"discussion": _discussion(task)},
    ),
    "la_safeguarding_checks": Step(
        team=LA,
        form=lambda task, data, user: wf.SafeguardingForm(
            data, under_18=task.case.referral.is_under_18
        ),
        service=services.la_safeguarding_checks_complete,
        template=_template("safeguarding"),
        done="Safeguarding checks recorded",
        submit="Record the checks",
    ),
    "threshold_decision": Step(
        team=POLICE,
        form=_plain(wf.ThresholdForm),
        service=services.threshold_decide,
        template=_template("threshold"),
        done="Threshold decision recorded",
        submit="Record the decision",
        context=_records,
    ),
    "assurance_review": Step(
        team=ADVISERS,
        form=_plain(wf.AssuranceForm),
        service=services.assurance_review_decide,
        template=_template("assurance"),
        done="Assurance review recorded",
        submit="Record the review",
        context=_assurance_context,
    ),
    "below_threshold_outcome": Step(
        team=LA,
        form=lambda task, data, user: wf.BelowThresholdForm(
            data, initial={"letter": wf.outcome_letter_draft(task.case.referral)}
        ),
        service=services.below_threshold_outcome_complete,
        template=_template("below_threshold"),
        done="Outcome recorded and letter sent",
        submit="Record the outcome and send the letter",
        context=_records,
    ),
    "risk_assessment": Step(
        team=POLICE,
        form=_plain(wf.RiskAssessmentForm),
        service=services.risk_assessment_complete,
        template=_template("risk_assessment"),
        done="Risk assessment recorded",
        submit="Record the risk assessment",
        context=_records,
    ),
    "outcome_decision": Step(
        team=POLICE,
        form=_plain(wf.OutcomeForm),
        service=services.outcome_decide,
        template=_template("outcome"),
        done="Outcome recorded",
        submit="Record the outcome",
        context=_records,
    ),
}

register(ReferralFlow, STEPS)
