"""What the referral flow's automatic nodes and gateways do; each delegates to a service."""

from referrals.duplicates import duplicates_link

from ..channel.intake import channel_process_start
from . import services
from .models import ThresholdDecision


def route_to_region(activation) -> None:
    services.case_access_grant(referral=activation.process.referral)


def duplicate_check(activation) -> None:
    duplicates_link(referral=activation.process.referral)


def _latest_threshold(activation) -> ThresholdDecision:
    return activation.process.referral.threshold_decisions.latest()


def meets_threshold(activation) -> bool:
    return _latest_threshold(activation).meets_threshold


def needs_assurance(activation) -> bool:
    return _latest_threshold(activation).assurance == ThresholdDecision.Assurance.PENDING


def assurance_confirmed(activation) -> bool:
    return _latest_threshold(activation).assurance == ThresholdDecision.Assurance.CONFIRMED


def outcome_is(outcome: str):
    def condition(activation) -> bool:
        return activation.process.referral.outcome_decisions.latest().outcome == outcome

    condition.__name__ = f"outcome_is_{outcome}"
    return condition


def finish(outcome: str):
    def finish_case(activation) -> None:
        services.case_finish(process=activation.process, outcome=outcome)

    finish_case.__name__ = f"finish_{outcome}"
    return finish_case


def start_channel(activation) -> None:
    """The case goes to its Channel panel, whose stage is its own flow linked to this one."""
    referral = activation.process.referral
    services.case_finish(process=activation.process, outcome="channel")
    services.channel_panel_grant(referral=referral)
    channel_process_start(referral=referral)


def close_case(activation) -> None:
    services.case_finish(process=activation.process, outcome=None)
