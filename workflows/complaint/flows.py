"""The complaint process of the Standards and Compliance Unit. Read it top to bottom as the
diagram:

received → triage (in scope? if not, signpost and close) → investigation → finding →
response letter → review requested? → review by a second officer → closed

Each human step is a node here and one entry in steps.py (who may complete it, its form and
service); the unit's complaint pages and the API both work it through that entry. Time limits
(acknowledge, respond) are on the complaint and marked overdue by a periodic job.
"""

from django.shortcuts import redirect
from viewflow import this
from viewflow.workflow import flow

from compliance.models import Complaint, ComplaintProcess

from ..engine.locking import process_created, process_row_lock
from .services import complaint_close


def _unit_page(request, *args, **kwargs):
    """Viewflow's own task pages are not used: send anyone who reaches one to the unit's."""
    return redirect("compliance:home")


def _complaint(activation) -> Complaint:
    # Re-read: the step's service has just saved the complaint under the process lock.
    return Complaint.objects.get(pk=activation.process.complaint_id)


def _investigator(activation):
    return _complaint(activation).investigator


def _reviewer(activation):
    return _complaint(activation).review.reviewer


def in_scope(activation) -> bool:
    return bool(_complaint(activation).in_scope)


def review_requested(activation) -> bool:
    return hasattr(_complaint(activation), "review")


def close_complaint(activation) -> None:
    complaint_close(complaint=_complaint(activation))


def unit_step(title: str, description: str = "") -> flow.View:
    """A step any officer of the unit may take."""
    return flow.View(_unit_page).Annotation(title=title, description=description)


def investigator_step(title: str, description: str = "") -> flow.View:
    """A step assigned to the complaint's investigating officer as soon as it opens."""
    return unit_step(title, description).Assign(_investigator)


class ComplaintFlow(flow.Flow):
    process_class = ComplaintProcess
    process_title = "Complaint"
    # A Join with the default lock can create duplicate join tasks under concurrency, so the
    # process row is locked with a blocking SELECT ... FOR UPDATE, once per transaction and
    # never retried inside it (workflows/engine/locking.py: the lock order).
    lock_impl = process_row_lock

    start = (
        flow.StartHandle(this.start_complaint)
        .Annotation(title="Complaint received")
        .Next(this.triage)
    )
    triage = unit_step("Acknowledge and triage", "In scope, or out of scope with signposting").Next(
        this.check_in_scope
    )
    check_in_scope = (
        flow.If(in_scope)
        .Annotation(title="In scope?")
        .Then(this.investigation)
        .Else(this.close_out_of_scope)
    )
    close_out_of_scope = (
        flow.Function(close_complaint)
        .Annotation(title="Out of scope: signposted and closed")
        .Next(this.end)
    )

    investigation = investigator_step(
        "Investigation",
        "Link the case; raise with the organisation only with the complainant's consent",
    ).Next(this.finding)
    finding = investigator_step(
        "Finding", "Upheld, partly upheld or not upheld, with rationale"
    ).Next(this.response_letter)
    response_letter = investigator_step("Response letter").Next(this.review_request)

    review_request = investigator_step(
        "Review requested?", "Record the complainant's request for a review, or close"
    ).Next(this.check_review_requested)
    check_review_requested = (
        flow.If(review_requested)
        .Annotation(title="Review requested?")
        .Then(this.review)
        .Else(this.close)
    )
    review = (
        unit_step("Review by a second officer", "Not the investigating officer")
        .Assign(_reviewer)
        .Next(this.close)
    )

    close = flow.Function(close_complaint).Annotation(title="Close the complaint").Next(this.end)
    end = flow.End()

    def start_complaint(self, activation, complaint):
        activation.process.complaint = complaint
        activation.process.save()
        process_created(activation.process)  # inserted by this transaction: already ours
        return activation.process
