"""What the referral flow's automatic nodes do. Each delegates the rule to a service."""

from . import services


def task_opened(activation, team_kind: str) -> None:
    services.case_task_open(
        task=activation.task, referral=activation.process.referral, team_kind=team_kind
    )


def route_to_region(activation) -> None:
    services.case_access_grant(referral=activation.process.referral)


def duplicate_check(activation) -> None:
    from referrals.duplicates import duplicates_link

    duplicates_link(referral=activation.process.referral)


def _latest_threshold(activation):
    return activation.process.referral.threshold_decisions.latest()


def meets_threshold(activation) -> bool:
    return _latest_threshold(activation).meets_threshold


def needs_assurance(activation) -> bool:
    from .models import ThresholdDecision

    return _latest_threshold(activation).assurance == ThresholdDecision.Assurance.PENDING


def assurance_confirmed(activation) -> bool:
    from .models import ThresholdDecision

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
    services.case_finish(process=activation.process, outcome="channel")
    services.channel_stage_start(referral=activation.process.referral, parent_task=activation.task)


def close_case(activation) -> None:
    services.case_finish(process=activation.process, outcome=None)
