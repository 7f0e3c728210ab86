"""The complaint flow's human steps, each declared once: who may complete it, form and
service. The unit's complaint pages and the API's `complete` both dispatch through these.

Triage is any officer's; the investigation, finding, response and review request are the
investigating officer's; the review is the reviewing officer's (a second officer).
"""

from ..engine.registry import UNIT, Step, register
from . import forms as f
from . import services
from .flows import ComplaintFlow
from .permissions import is_task_investigator, is_task_reviewer, may_triage
from .selectors import complaint_of_task


def _on_complaint(service):
    """The complaint services take the complaint; a task knows its complaint."""

    def complete(*, task, user, **answers):
        return service(complaint=complaint_of_task(task), user=user, **answers)

    complete.__name__ = service.__name__
    complete.__doc__ = service.__doc__
    return complete


def _step(*, may_work, form, service, done: str, submit: str = "Save and continue") -> Step:
    return Step(
        team=UNIT,
        may_work=may_work,
        form=form,
        service=_on_complaint(service),
        template="compliance/complaint_step.html",
        done=done,
        submit=submit,
    )


STEPS: dict[str, Step] = {
    "triage": _step(
        may_work=may_triage,
        form=lambda task, data, user: f.TriageForm(data, user=user),
        service=services.complaint_triage,
        done="Complaint triaged",
        submit="Save and send to the complainant",
    ),
    "investigation": _step(
        may_work=is_task_investigator,
        form=lambda task, data, user: f.InvestigationForm(data),
        service=services.complaint_investigation_complete,
        done="Investigation complete",
        submit="Complete the investigation",
    ),
    "finding": _step(
        may_work=is_task_investigator,
        form=lambda task, data, user: f.FindingForm(data),
        service=services.complaint_finding_record,
        done="Finding recorded",
        submit="Record the finding",
    ),
    "response_letter": _step(
        may_work=is_task_investigator,
        form=lambda task, data, user: f.ResponseForm(
            data, initial={"letter": services.response_letter_draft(complaint_of_task(task))}
        ),
        service=services.complaint_response_send,
        done="Response sent",
        submit="Send the response",
    ),
    "review_request": _step(
        may_work=is_task_investigator,
        form=lambda task, data, user: f.ReviewRequestForm(data),
        service=services.complaint_review_request_record,
        done="Saved",
        submit="Save",
    ),
    "review": _step(
        may_work=is_task_reviewer,
        form=lambda task, data, user: f.ReviewForm(data),
        service=services.complaint_review_decide,
        done="Review recorded",
        submit="Record the review and send the letter",
    ),
}

register(ComplaintFlow, STEPS)
