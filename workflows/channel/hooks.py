"""What the Channel flow's automatic nodes and gateways do."""

from datetime import datetime, time

from django.utils import timezone

from . import services
from .models import ChannelDecision, PanelReview


def adopted(activation) -> bool:
    decision = activation.process.referral.channel_decisions.filter(
        kind=ChannelDecision.Kind.ADOPTION
    ).latest()
    return decision.result == ChannelDecision.Result.ADOPTED


def consent_given(activation) -> bool:
    return services.consent_in_place(activation.process.referral)


def consent_withdrawn(activation) -> bool:
    return services.consent_withdrawn(activation.process.referral)


def review_recommends_exit(activation) -> bool:
    review = activation.process.referral.panel_reviews.latest()
    return review.recommendation == PanelReview.Recommendation.EXIT


def review_raises_concern(activation) -> bool:
    return activation.process.referral.post_exit_reviews.latest().concern


def exit_channel(activation) -> None:
    services.channel_exit_record(referral=activation.process.referral)


def post_exit_due(months: int):
    """The start of the day `months` after the latest exit, in UK time."""

    def due(activation) -> datetime:
        day = services.post_exit_due_on(activation.process.referral, months)
        return timezone.make_aware(datetime.combine(day, time.min))

    due.__name__ = f"due_{months}_months_after_exit"
    return due


def close_stage(activation) -> None:
    services.channel_stage_close(process=activation.process)
