"""The Channel stage (DESIGN.md §3, lower half): its own flow, started by the referral flow.

adopt? → consent (parental if under 18) → support plan → periodic panel reviews → exit →
post-exit reviews at 6 and 12 months, created on their due dates by database timers that a
Celery beat job fires. Each human step's team, form and service are in steps.py.
"""

from viewflow import this
from viewflow.workflow import flow

from ..engine.locking import process_created, process_row_lock
from ..engine.nodes import human
from . import hooks
from .models import ChannelProcess


class ChannelFlow(flow.Flow):
    process_class = ChannelProcess
    process_title = "Channel"
    # A Join with the default lock can create duplicate join tasks under concurrency, so the
    # process row is locked with a blocking SELECT ... FOR UPDATE, once per transaction and
    # never retried inside it (workflows/engine/locking.py: the lock order).
    lock_impl = process_row_lock

    start = (
        flow.StartHandle(this.start_channel)
        .Annotation(title="Referred to Channel")
        .Next(this.adoption_decision)
    )
    adoption_decision = human(
        "Panel: adoption decision", "Adopt the case, or not, with a rationale"
    ).Next(this.check_adopted)
    check_adopted = (
        flow.If(hooks.adopted)
        .Annotation(title="Adopted?")
        .Then(this.consent)
        .Else(this.not_adopted_outcome)
    )
    not_adopted_outcome = human("Not adopted: police decide another outcome").Next(this.close_stage)

    consent = human("Consent", "The person's, and a parent's if under 18").Next(this.check_consent)
    check_consent = (
        flow.If(hooks.consent_given)
        .Annotation(title="Consent given?")
        .Then(this.support_plan)
        .Else(this.consent_outcome)
    )
    consent_outcome = human(
        "Consent refused or withdrawn: decision",
        "Police-led partnership, or closure with a rationale",
    ).Next(this.close_stage)

    support_plan = human("Support plan", "Interventions, owners and providers").Next(
        this.check_support
    )
    check_support = (
        flow.If(hooks.consent_withdrawn)
        .Annotation(title="Consent withdrawn?")
        .Then(this.consent_outcome)
        .Else(this.panel_review)
    )
    panel_review = human("Panel review", "Progress and risk; continue or exit").Next(
        this.check_review
    )
    check_review = (
        flow.Switch()
        .Annotation(title="Review outcome")
        .Case(this.consent_outcome, hooks.consent_withdrawn)
        .Case(this.exit_channel, hooks.review_recommends_exit)
        .Default(this.panel_review)
    )
    exit_channel = (
        flow.Function(hooks.exit_channel).Annotation(title="Exit Channel").Next(this.wait_6_months)
    )

    wait_6_months = (
        flow.Timer(hooks.post_exit_due(6))
        .Annotation(title="Wait until 6 months after exit")
        .Next(this.post_exit_review_6)
    )
    post_exit_review_6 = human("6-month post-exit review").Next(this.check_review_6)
    check_review_6 = (
        flow.If(hooks.review_raises_concern)
        .Annotation(title="Concern? Re-open")
        .Then(this.panel_review)
        .Else(this.wait_12_months)
    )
    wait_12_months = (
        flow.Timer(hooks.post_exit_due(12))
        .Annotation(title="Wait until 12 months after exit")
        .Next(this.post_exit_review_12)
    )
    post_exit_review_12 = human("12-month post-exit review").Next(this.check_review_12)
    check_review_12 = (
        flow.If(hooks.review_raises_concern)
        .Annotation(title="Concern? Re-open")
        .Then(this.panel_review)
        .Else(this.close_stage)
    )

    close_stage = (
        flow.Function(hooks.close_stage).Annotation(title="Close the Channel stage").Next(this.end)
    )
    end = flow.End()

    def start_channel(self, activation, referral):
        activation.process.referral = referral
        activation.process.save()
        process_created(activation.process)  # inserted by this transaction: already ours
        return activation.process
