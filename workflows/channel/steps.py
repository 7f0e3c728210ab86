"""The Channel flow's human steps, each declared once: team, who may complete it, form,
service and page. The task page and the API's `complete` both dispatch through these.

Who may complete a step is its `may_work`: here the default, a member of the team that owns
the task now. Of the
panel, only its chair may record adoption, exit, or the decision after consent is refused or
withdrawn: those services refuse anyone else with a clear message.
"""

from regions.models import Team

from ..engine.registry import Step, register
from . import forms as cf
from . import selectors, services
from .flows import ChannelFlow
from .selectors import home_url

PANEL, POLICE = Team.Kind.CHANNEL_PANEL, Team.Kind.CTP_PREVENT


def _meetings(task):
    return selectors.meeting_choices(task.case.team_id)


def _context(task, user) -> dict:
    """What the panel sees of the case while working a Channel task."""
    context = selectors.task_page_context(task)
    stage = task.flow_task.name
    context.update(
        title=str(task.flow_task.task_title),
        in_support=stage in services.SUPPORT_STAGES,
    )
    if stage.startswith("post_exit_review_"):
        months = int(stage.rsplit("_", 1)[1])
        context.update(months=months, due_on=services.post_exit_due_on(task.case.referral, months))
    return context


def _after(task, user) -> str:
    return home_url(user)


def _template(name: str) -> str:
    return f"workflows/channel/{name}.html"


def _post_exit_review() -> Step:
    return Step(
        team=PANEL,
        form=lambda task, data, user: cf.PostExitReviewForm(data),
        service=services.post_exit_review_complete,
        template=_template("post_exit_review"),
        done="Review recorded",
        context=_context,
        after=_after,
    )


STEPS: dict[str, Step] = {
    "adoption_decision": Step(
        team=PANEL,
        form=lambda task, data, user: cf.AdoptionForm(data, meetings=_meetings(task)),
        service=services.adoption_decide,
        template=_template("adoption"),
        done="Adoption decision recorded",
        context=_context,
        after=_after,
    ),
    "not_adopted_outcome": Step(
        team=POLICE,
        form=lambda task, data, user: cf.OutcomeForm(data),
        service=services.not_adopted_outcome_decide,
        template=_template("outcome"),
        done="Decision recorded",
        context=_context,
        after=_after,
    ),
    "consent": Step(
        team=PANEL,
        form=lambda task, data, user: cf.ConsentForm(data, under_18=task.case.referral.is_under_18),
        service=services.consent_record,
        template=_template("consent"),
        done="Consent recorded",
        context=_context,
        after=_after,
    ),
    "consent_outcome": Step(
        team=PANEL,
        form=lambda task, data, user: cf.OutcomeForm(data),
        service=services.consent_outcome_decide,
        template=_template("outcome"),
        done="Decision recorded",
        context=_context,
        after=_after,
    ),
    "support_plan": Step(
        team=PANEL,
        form=lambda task, data, user: cf.SupportPlanForm(
            data,
            owners=selectors.owner_choices(task.case.referral),
            providers=selectors.provider_choices(),
        ),
        service=services.support_plan_complete,
        template=_template("support_plan"),
        done="Support plan recorded",
        context=_context,
        after=_after,
    ),
    "panel_review": Step(
        team=PANEL,
        form=lambda task, data, user: cf.PanelReviewForm(data, meetings=_meetings(task)),
        service=services.panel_review_complete,
        template=_template("panel_review"),
        done="Panel review recorded",
        context=_context,
        after=_after,
    ),
    "post_exit_review_6": _post_exit_review(),
    "post_exit_review_12": _post_exit_review(),
}

register(ChannelFlow, STEPS)
