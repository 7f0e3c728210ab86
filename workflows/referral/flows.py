"""The referral process (DESIGN.md §3). Read it top to bottom as the diagram.

Each human step is a node here and one entry in steps.py (its team, who may complete it, its
form, service and page); the rules live in services.py, which pages, the API and Celery call.
"""

from viewflow import this
from viewflow.workflow import flow

from ..engine.locking import process_created, process_row_lock
from ..engine.nodes import human
from . import hooks
from .models import ReferralProcess


class ReferralFlow(flow.Flow):
    process_class = ReferralProcess
    process_title = "Prevent referral"
    # A Join with the default lock can create duplicate join tasks under concurrency, so the
    # process row is locked with a blocking SELECT ... FOR UPDATE, once per transaction and
    # never retried inside it (workflows/engine/locking.py: the lock order).
    lock_impl = process_row_lock

    start = (
        flow.StartHandle(this.start_referral)
        .Annotation(title="Referral submitted")
        .Next(this.route_to_region)
    )
    route_to_region = (
        flow.Function(hooks.route_to_region)
        .Annotation(title="Route to region and local authority")
        .Next(this.duplicate_check)
    )
    duplicate_check = (
        flow.Function(hooks.duplicate_check)
        .Annotation(title="Duplicate and repeat check")
        .Next(this.split_intake)
    )
    split_intake = (
        flow.Split()
        .Annotation(title="Police and local authority at the same time")
        .Next(this.police_acknowledge)
        .Next(this.la_acknowledge)
    )

    # Police branch: CT policing Prevent officers of the region
    police_acknowledge = human("Police: acknowledge referral").Next(this.police_deconfliction)
    police_deconfliction = human(
        "Deconfliction", "Check against live counter-terrorism investigations"
    ).Next(this.police_gateway_checks)
    police_gateway_checks = human("Gateway checks").Next(this.police_information_gathering)
    police_information_gathering = human("Information gathering").Next(this.join_intake)

    # Local-authority branch: the LA Prevent team
    la_acknowledge = human("Local authority: acknowledge referral").Next(this.la_initial_discussion)
    la_initial_discussion = human("Initial discussion with the referrer").Next(
        this.la_safeguarding_checks
    )
    la_safeguarding_checks = human(
        "Safeguarding and domestic-abuse checks", "Including MASH for under-18s"
    ).Next(this.join_intake)

    join_intake = (
        flow.Join().Annotation(title="Both branches complete").Next(this.threshold_decision)
    )

    threshold_decision = human(
        "Threshold decision", "Ideological element and terrorism risk?"
    ).Next(this.check_threshold)
    check_threshold = (
        flow.Switch()
        .Annotation(title="Meets the threshold?")
        .Case(this.risk_assessment, hooks.meets_threshold)
        .Case(this.assurance_review, hooks.needs_assurance)
        .Default(this.below_threshold_outcome)
    )
    assurance_review = human(
        "Assurance by the regional adviser",
        "Second-line review before closing a repeat or under-18 referral",
    ).Next(this.check_assurance)
    check_assurance = (
        flow.If(hooks.assurance_confirmed)
        .Annotation(title="Closure confirmed?")
        .Then(this.below_threshold_outcome)
        .Else(this.threshold_decision)
    )
    below_threshold_outcome = human(
        "Below threshold: outcome and letter", "No further action or signpost"
    ).Next(this.close_case)

    risk_assessment = human("Police risk assessment", "Prevent Assessment Framework").Next(
        this.outcome_decision
    )
    outcome_decision = human("Outcome decision").Next(this.route_outcome)
    route_outcome = (
        flow.Switch()
        .Annotation(title="Outcome")
        .Case(this.handover_to_pursue, hooks.outcome_is("pursue"))
        .Case(this.start_channel, hooks.outcome_is("channel"))
        .Case(this.police_led_partnership, hooks.outcome_is("police_led"))
        .Default(this.close_case)
    )
    handover_to_pursue = (
        flow.Function(hooks.finish("pursue")).Annotation(title="Escalate to Pursue").Next(this.end)
    )
    start_channel = (
        flow.Function(hooks.start_channel)
        .Annotation(title="Channel panel (Channel flow)")
        .Next(this.end)
    )
    police_led_partnership = (
        flow.Function(hooks.finish("police_led"))
        .Annotation(title="Police-led partnership")
        .Next(this.end)
    )
    close_case = flow.Function(hooks.close_case).Annotation(title="Close case").Next(this.end)
    end = flow.End()

    def start_referral(self, activation, referral, actor):
        activation.process.referral = referral
        activation.process.save()
        process_created(activation.process)  # inserted by this transaction: already ours
        return activation.process
