"""Reads of referrals. Each function fixes its own queries, so page query counts stay flat."""

from dataclasses import dataclass
from uuid import UUID

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from regions.selectors import Route, route_local_authority

from .forms import SECTIONS, Section
from .models import Attachment, InformationRequest, Referral, ReferralStatus
from .permissions import can_read_attachments


def referral_route(referral: Referral) -> Route:
    """The routed case's region, force and teams, looked up once per loaded referral.

    Submission routes the referral and the process start, its routing node and each task it
    opens all need the same route: they share one instance of the referral, so the route is
    kept on it (two queries once, not two per step). A change of local authority (a
    transfer) makes it look again.
    """
    cached = getattr(referral, "_route", None)
    if cached is None or cached.local_authority.pk != referral.local_authority_id:
        cached = route_local_authority(referral.local_authority_id)
        referral._route = cached
    return cached


@dataclass(frozen=True)
class PlainStatus:
    """What a referrer is told about progress: never the content of police or panel work."""

    label: str
    tag_class: str


_PLAIN_STATUS = {
    ReferralStatus.DRAFT: PlainStatus("Draft", "govuk-tag--grey"),
    ReferralStatus.SUBMITTED: PlainStatus("Submitted", "govuk-tag--blue"),
    ReferralStatus.IN_PROGRESS: PlainStatus("Being assessed", "govuk-tag--light-blue"),
    ReferralStatus.CLOSED: PlainStatus("Closed", "govuk-tag--grey"),
}


def referral_plain_status(referral: Referral) -> PlainStatus:
    return _PLAIN_STATUS.get(referral.status, PlainStatus("Submitted", "govuk-tag--blue"))


def referrals_for_referrer(user) -> QuerySet[Referral]:
    """The referrer's own referrals, newest first, in one query whatever their number."""
    return (
        Referral.objects.filter(created_by=user)
        .only(
            "public_id",
            "reference",
            "status",
            "first_name",
            "last_name",
            "created_at",
            "submitted_at",
            "created_by_id",
        )
        .annotate(
            open_questions=Count(
                "information_requests", filter=Q(information_requests__answered_at__isnull=True)
            )
        )
        .order_by("-created_at", "-pk")
    )


def referral_for_referrer(user, public_id: UUID | str) -> Referral:
    """One of the referrer's own referrals. Anyone else's is 404: existence is not disclosed."""
    referral = (
        Referral.objects.filter(created_by=user, public_id=public_id)
        .select_related("local_authority")
        .first()
        if user.is_authenticated
        else None
    )
    if referral is None:
        raise Http404("No such referral")
    return referral


def draft_for_referrer(user, public_id: UUID | str) -> Referral:
    referral = referral_for_referrer(user, public_id)
    if referral.status != ReferralStatus.DRAFT:
        raise Http404("This referral has been submitted and can no longer be changed")
    return referral


def attachments_of(referral: Referral) -> list[Attachment]:
    return list(referral.attachments.order_by("uploaded_at", "pk"))


def attachment_for_reader(user, referral_public_id, attachment_public_id) -> Attachment:
    """An attachment the user may read (its referrer, or staff granted the case), else 404."""
    attachment = (
        Attachment.objects.select_related("referral")
        .filter(public_id=attachment_public_id, referral__public_id=referral_public_id)
        .first()
    )
    if attachment is None or not can_read_attachments(user, attachment.referral):
        raise Http404("No such file")
    return attachment


def information_requests_of(referral: Referral) -> list[InformationRequest]:
    """Questions put to the referrer. Only the question and answer: who asked stays internal."""
    return list(
        referral.information_requests.only(
            "public_id", "question", "requested_at", "answer", "answered_at", "referral_id"
        ).order_by("requested_at", "pk")
    )


def information_request_for_referrer(user, referral: Referral, public_id) -> InformationRequest:
    request = referral.information_requests.filter(public_id=public_id).first()
    if request is None or referral.created_by_id != user.pk:
        raise Http404("No such question")
    return request


def sections_incomplete(referral: Referral) -> list[Section]:
    """Pages of the draft that still need an answer, in journey order."""
    missing = []
    for section in SECTIONS.values():
        if section.slug == "local-authority" and not referral.postcode:
            continue  # asked only after a postcode is given; the address page covers it
        if not section.is_complete(referral):
            missing.append(section)
    return missing
