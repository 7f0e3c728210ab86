"""Starting the Channel stage: its own flow, linked to the referral it came from."""

from config.errors import ApplicationError
from referrals.models import Referral

from .flows import ChannelFlow
from .models import ChannelProcess


def channel_process_start(*, referral: Referral) -> ChannelProcess:
    """Start the Channel flow for a referral the police referred to Channel."""
    if ChannelProcess.objects.filter(referral=referral).exists():
        raise ApplicationError("This case is already at Channel.")
    return ChannelFlow.start.run(referral=referral)
