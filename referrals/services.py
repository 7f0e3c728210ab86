"""Writes to referrals. Web views, the API and demo data all come through here.

Every service checks that the user may act on the referral, runs in one transaction and writes
its audit event in that transaction. Bad input raises `ApplicationError` (or `InvalidForm`,
which carries the page's bound form with its errors) and changes nothing.
"""

import hashlib
import os
import unicodedata
from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.roles import Role
from compliance.audit import audit_record
from compliance.services import case_read_record
from config.classification import MARKED_TEXT_MESSAGE, marking_found
from config.errors import ApplicationError, PermissionDenied
from config.references import yearly_reference
from regions.models import LocalAuthority
from regions.selectors import (
    Route,
    RoutingError,
    current_local_authorities,
    local_authority_for_postcode,
    route_local_authority,
)

from .attachments import FileRefused, check_file
from .duplicates import search_names_for
from .forms import SECTIONS, DeclarationForm, Section
from .models import (
    Attachment,
    ReferenceCounter,
    Referral,
    ReferralStatus,
    Upload,
)
from .permissions import can_edit_draft, can_read_attachments, is_author, is_referrer
from .selectors import sections_incomplete

MAX_ATTACHMENTS = 10


class InvalidForm(ApplicationError):
    """A page failed validation; `form` is bound and carries the field errors to show."""

    def __init__(self, form: forms.Form):
        super().__init__("There is a problem", code="invalid_form")
        self.form = form


class IncompleteReferral(ApplicationError):
    """The draft cannot be submitted yet; `sections` are the pages still to answer."""

    def __init__(self, sections: list[Section]):
        super().__init__(
            "You have not answered every question yet: " + ", ".join(s.title for s in sections),
            code="incomplete",
        )
        self.sections = sections


def _lock_own_draft(user, referral: Referral) -> Referral:
    locked = Referral.objects.select_for_update().filter(pk=referral.pk).first()
    if locked is None or not can_edit_draft(user, locked):
        raise PermissionDenied()
    if locked.status != ReferralStatus.DRAFT:
        raise ApplicationError(
            "This referral has already been submitted and can no longer be changed",
            code="already_submitted",
        )
    return locked


def _refuse_marked_text(form: forms.Form) -> None:
    for name, value in list(form.cleaned_data.items()):
        if isinstance(value, str) and marking_found(value):
            form.add_error(name, MARKED_TEXT_MESSAGE)


def validated(form: forms.Form) -> forms.Form:
    """The form, valid and free of protective markings; else InvalidForm carrying it."""
    if form.is_valid():
        _refuse_marked_text(form)
    if form.errors:
        raise InvalidForm(form)
    return form


def referral_create_draft(*, user) -> Referral:
    """Start a referral, with 'About you' filled in from the referrer's account."""
    if not is_referrer(user):
        raise PermissionDenied("Only referrers can make a referral.")
    with transaction.atomic():
        referral = Referral.objects.create(
            created_by=user,
            referrer_name=user.full_name,
            referrer_role=user.job_title,
            referrer_organisation=user.organisation,
            referrer_email=user.email,
            referrer_phone=user.phone,
        )
        audit_record(actor=user, action="referral.draft_created", obj=referral, role=Role.REFERRER)
    return referral


def _local_authority_change(form: forms.Form, referral: Referral, postcode: str) -> dict:
    """The local authority that goes with a new postcode: looked up, never guessed.

    An unknown postcode leaves it empty so the journey asks; a choice the referrer already made
    for the same unknown postcode is kept.
    """
    try:
        local_authority = local_authority_for_postcode(postcode)
    except RoutingError as exc:
        form.add_error("postcode", exc.message)
        return {}
    if local_authority is not None:
        return {"local_authority": local_authority}
    if postcode == referral.postcode and referral.local_authority_id:
        return {}
    return {"local_authority": None}


def referral_update_section(*, user, referral: Referral, section: str, data) -> Referral:
    """Save one page of a draft. Nothing is saved unless the whole page is valid."""
    spec = SECTIONS.get(section)
    if spec is None:
        raise ApplicationError("There is no such page in a referral", code="not_found")
    form = spec.form_class(data=data)
    with transaction.atomic():
        locked = _lock_own_draft(user, referral)
        changes = {}
        if form.is_valid():
            _refuse_marked_text(form)
        if not form.errors:
            changes = form.model_changes()
            if section == "address":
                changes.update(_local_authority_change(form, locked, changes["postcode"]))
            elif section == "local-authority" and locked.postcode:
                try:
                    known = local_authority_for_postcode(locked.postcode)
                except RoutingError:
                    known = None
                if known is not None:
                    form.add_error(
                        "local_authority",
                        "The local authority comes from the postcode. Change the postcode instead",
                    )
        if form.errors:
            raise InvalidForm(form)
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save(update_fields=[*changes, "updated_at"])
        audit_record(
            actor=user,
            action="referral.draft_updated",
            obj=locked,
            role=Role.REFERRER,
            detail={"section": section, "fields": sorted(changes)},
        )
    return locked


# The sections of a whole referral sent at once (the API), by the name each has in the
# document: every journey page that writes the referral, except the local authority, which is
# a code beside them (needed only when the postcode is not known).
DOCUMENT_SECTIONS = {
    "person": "person",
    "address": "address",
    "circumstances": "circumstances",
    "about_you": "about-you",
    "concern": "concern",
    "risk_and_needs": "risk-and-needs",
}


def _document_local_authority(
    problems: list, postcode: str | None, code: str | None
) -> LocalAuthority | None:
    """The authority of a document's address, as the journey decides it: from the postcode
    when it is known (a different code given beside it is refused), else from the code."""
    known = None
    if postcode:
        try:
            known = local_authority_for_postcode(postcode)
        except RoutingError as exc:
            problems.append(("address.postcode", exc.message))
            return None
    code = (code or "").strip().upper()
    if known is not None:
        if code and code != known.code:
            problems.append(
                (
                    "local_authority",
                    f"The postcode is in {known.name} ({known.code}): leave the local authority "
                    "out, or give the right postcode",
                )
            )
        return known
    if not code:
        problems.append(
            (
                "local_authority",
                "We could not find the postcode. Give the code of the local authority where "
                "the person lives, like E09000007",
            )
        )
        return None
    chosen = current_local_authorities().filter(code=code).first()
    if chosen is None:
        problems.append(
            ("local_authority", f"'{code}' is not a current local authority in England or Wales")
        )
    return chosen


def referral_draft_from_document(
    *,
    user,
    sections: dict[str, dict],
    local_authority: str | None = None,
    declaration_confirmed: bool = False,
    attachments: list | tuple = (),
) -> Referral:
    """A whole referral at once, checked page by page by the journey's own forms: a draft
    ready to submit, or ApplicationError with every problem, each named `section.field`.

    Runs inside the caller's transaction (the submission's), so nothing is kept if anything
    is wrong. The same marking refusal, postcode routing and completeness rules apply as on
    the pages, because they are the same forms.
    """
    if not is_referrer(user):
        raise PermissionDenied("Only referrers can make a referral.")
    problems: list[tuple[str | None, str]] = []
    changes: dict = {}
    for name, slug in DOCUMENT_SECTIONS.items():
        form = SECTIONS[slug].form_class(data=sections.get(name) or {})
        if form.is_valid():
            _refuse_marked_text(form)
        for field, messages in form.errors.items():
            where = name if field == "__all__" else f"{name}.{field}"
            problems.extend((where, str(message)) for message in messages)
        if not form.errors:
            changes.update(form.model_changes())
    if "postcode" in changes:  # an address that failed its own checks has said so already
        la = _document_local_authority(problems, changes["postcode"], local_authority)
        if la is not None:
            changes["local_authority"] = la
    declaration = DeclarationForm(data={"confirm": "on"} if declaration_confirmed is True else {})
    if not declaration.is_valid():
        problems.extend(("declaration_confirmed", str(m)) for m in declaration.errors["confirm"])
    if len(attachments) > MAX_ATTACHMENTS:
        problems.append(("attachments", f"You can upload up to {MAX_ATTACHMENTS} files"))
    if problems:
        raise ApplicationError(errors=problems, code="invalid_referral")
    referral = Referral.objects.create(created_by=user, **changes)
    audit_record(
        actor=user,
        action="referral.draft_created",
        obj=referral,
        role=Role.REFERRER,
        detail={"via": "api", "sections": sorted(DOCUMENT_SECTIONS)},
    )
    refused = uploads_attach(user=user, referral=referral, upload_ids=list(attachments))
    problems = [(f"attachments[{i}]", p) for i, p in enumerate(refused) if p is not None]
    if problems:
        raise ApplicationError(errors=problems, code="invalid_referral")
    return referral


def _safe_file_name(name: str) -> str:
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[-200:] or "file"


def _checked_file(uploaded_file, description: str) -> tuple[str, bytes, str, str, str]:
    """A file's safe name, content, real type, digest and description, after the checks every
    supporting document passes (size, what it really is, no SECRET or TOP SECRET marking)."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if uploaded_file is None:
        raise ApplicationError("Select a file", field="file")
    if uploaded_file.size > limit:
        raise ApplicationError(
            f"The selected file must be smaller than {limit // (1024 * 1024)}MB", field="file"
        )
    if uploaded_file.size == 0:
        raise ApplicationError("The selected file is empty", field="file")
    uploaded_file.seek(0)
    content = uploaded_file.read(limit + 1)
    if len(content) > limit:
        raise ApplicationError(
            f"The selected file must be smaller than {limit // (1024 * 1024)}MB", field="file"
        )
    name = _safe_file_name(uploaded_file.name)
    try:
        file_type = check_file(name=name, content=content)
    except FileRefused as exc:
        raise ApplicationError(str(exc), field="file") from exc
    description = (description or "").strip()
    if marking_found(description):
        raise ApplicationError(MARKED_TEXT_MESSAGE, field="description")
    digest = hashlib.sha256(content).hexdigest()
    return name, content, file_type.content_type, digest, description


def attachment_add(*, user, referral: Referral, uploaded_file, description: str = "") -> Attachment:
    """Store a supporting document on a draft, after checking what it really is.

    The file's type is read from its content; SECRET and TOP SECRET material is refused.
    """
    name, content, content_type, digest, description = _checked_file(uploaded_file, description)

    stored_name = None
    try:
        with transaction.atomic():
            locked = _lock_own_draft(user, referral)
            existing = list(locked.attachments.values_list("sha256", flat=True))
            if digest in existing:
                raise ApplicationError("You have already uploaded this file", field="file")
            if len(existing) >= MAX_ATTACHMENTS:
                raise ApplicationError(
                    f"You can upload up to {MAX_ATTACHMENTS} files", field="file"
                )
            attachment = Attachment(
                referral=locked,
                original_name=name,
                content_type=content_type,
                size=len(content),
                sha256=digest,
                description=description[:200],
                uploaded_by=user,
            )
            attachment.file.save(name, ContentFile(content), save=False)
            stored_name = attachment.file.name
            attachment.save()
            audit_record(
                actor=user,
                action="attachment.added",
                obj=attachment,
                role=Role.REFERRER,
                detail={
                    "referral": str(locked.public_id),
                    "sha256": digest,
                    "size": len(content),
                    "content_type": content_type,
                },
            )
    except BaseException:
        if stored_name:
            default_storage.delete(stored_name)
        raise
    return attachment


def upload_add(*, user, uploaded_file, description: str = "") -> Upload:
    """A supporting document sent before its referral (the API), checked as an attachment."""
    if not is_referrer(user):
        raise PermissionDenied("Only referrers can upload supporting documents.")
    name, content, content_type, digest, description = _checked_file(uploaded_file, description)
    upload = Upload(
        original_name=name,
        content_type=content_type,
        size=len(content),
        sha256=digest,
        description=description[:200],
        uploaded_by=user,
    )
    upload.file.save(name, ContentFile(content), save=False)
    try:
        with transaction.atomic():
            upload.save()
            audit_record(
                actor=user,
                action="upload.added",
                obj=upload,
                role=Role.REFERRER,
                detail={"sha256": digest, "size": len(content), "content_type": content_type},
            )
    except BaseException:
        default_storage.delete(upload.file.name)
        raise
    return upload


def uploads_attach(*, user, referral: Referral, upload_ids: list) -> list[str | None]:
    """Make the user's own uploads the draft's attachments, each checked again as on the
    pages; returns a problem (or None) per upload, in order. The uploads' files go once the
    transaction commits."""
    found = {
        str(u.public_id): u
        for u in Upload.objects.filter(uploaded_by=user, public_id__in=[str(i) for i in upload_ids])
    }
    problems: list[str | None] = []
    for upload_id in upload_ids:
        upload = found.get(str(upload_id))
        if upload is None:
            problems.append("There is no upload with this id (or it has expired): upload it again")
            continue
        with upload.file.open("rb") as stored:
            content = stored.read()
        try:
            attachment_add(
                user=user,
                referral=referral,
                uploaded_file=ContentFile(content, name=upload.original_name),
                description=upload.description,
            )
        except ApplicationError as exc:
            problems.append(exc.message)
            continue
        problems.append(None)
        stored_name = upload.file.name
        upload.delete()
        transaction.on_commit(lambda name=stored_name: default_storage.delete(name))
    return problems


def uploads_expire(*, older_than: timedelta) -> int:
    """Delete uploads nobody attached to a referral in time, with their files."""
    stale = list(Upload.objects.filter(uploaded_at__lt=timezone.now() - older_than)[:500])
    for upload in stale:
        default_storage.delete(upload.file.name)
        upload.delete()
    return len(stale)


def attachment_remove(*, user, referral: Referral, attachment_public_id) -> None:
    with transaction.atomic():
        locked = _lock_own_draft(user, referral)
        attachment = locked.attachments.filter(public_id=attachment_public_id).first()
        if attachment is None:
            raise ApplicationError("That file has already been removed", code="not_found")
        stored_name = attachment.file.name
        audit_record(
            actor=user,
            action="attachment.removed",
            obj=attachment,
            role=Role.REFERRER,
            detail={"referral": str(locked.public_id), "sha256": attachment.sha256},
        )
        attachment.delete()
        transaction.on_commit(lambda: default_storage.delete(stored_name))


def attachment_open(*, user, attachment: Attachment):
    """Open a stored file for someone allowed to read it, recording the read."""
    if not can_read_attachments(user, attachment.referral):
        raise PermissionDenied()
    referral = attachment.referral
    with transaction.atomic():
        if is_author(user, referral):
            audit_record(
                actor=user,
                action="attachment.downloaded",
                obj=attachment,
                case_reference=referral.reference or "",
                role="referrer",
                detail={"referral": str(referral.public_id), "what": "attachment"},
            )
        else:
            # Staff reading a document is a read of case content: role, team and any
            # break-glass grant are recorded as for the case page.
            case_read_record(
                user=user,
                referral=referral,
                what="attachment",
                action="attachment.downloaded",
                obj=attachment,
            )
    return attachment.file.open("rb")


def _next_reference(year: int) -> str:
    """PRV-YYYY-NNNNNN: unique, may have gaps, drawn without a lock held to commit."""
    return yearly_reference(prefix="PRV", year=year, counter_model=ReferenceCounter, model=Referral)


def _receipt_body(referral: Referral) -> str:
    # Email is not a secure channel: the receipt names the reference, never the person.
    submitted = timezone.localtime(referral.submitted_at)
    return (
        "We have received your Prevent referral.\n\n"
        f"Reference: {referral.reference}\n"
        f"Submitted: {submitted:%-d %B %Y at %H:%M}\n\n"
        "The local authority and police Prevent teams will review it. They may contact you "
        "to talk about it or to ask for more information.\n\n"
        "Quote the reference if you contact us about this referral. You can check its status "
        "by signing in to the service.\n\n"
        "If someone is in immediate danger, call 999.\n\n"
        "Do not reply to this email, and do not send details of the referral by email."
    )


def referral_submission_record(
    *, user, referral: Referral, declaration_confirmed: bool
) -> tuple[Referral, Route, dict]:
    """Check a complete draft and record it as submitted: reference and routing. Returns the
    referral, its route and its `referral.submitted` audit event (`audit_record`'s arguments).

    Runs inside the caller's transaction (workflows/referral/intake.py), which also starts
    the process, appends the event with the process's own and queues the receipt, so a
    failure anywhere leaves the draft as it was.
    """
    form = validated(DeclarationForm(data={"confirm": "on"} if declaration_confirmed else {}))
    locked = _lock_own_draft(user, referral)
    missing = sections_incomplete(locked)
    if missing:
        raise IncompleteReferral(missing)
    route = route_local_authority(locked.local_authority_id)
    now = timezone.now()
    locked.reference = _next_reference(timezone.localtime(now).year)
    locked.status = ReferralStatus.SUBMITTED
    locked.submitted_at = now
    locked.local_authority = route.local_authority
    locked.police_force_area = route.police_force_area
    locked.region = route.region
    locked.search_names = search_names_for(locked)
    locked.declaration_confirmed = form.cleaned_data["confirm"]
    locked.save()
    locked._route = route  # the process start routes the same referral: see referral_route
    event = {
        "actor": user,
        "action": "referral.submitted",
        "obj": locked,
        "case_reference": locked.reference,
        "role": Role.REFERRER,
        "detail": {
            "region": route.region.slug,
            "local_authority": route.local_authority.code,
            "police_force_area": route.police_force_area.code,
        },
    }
    return locked, route, event


def referral_receipt(*, user, referral: Referral) -> dict:
    """The referrer's receipt, as `notification_queue`'s arguments: submission queues it with
    the new tasks' notices, in one statement, and it is sent once the submission commits.

    It goes to the contact address the referral gives for its referrer ("About you": "We will
    only use this to contact you about this referral"), else to the account that submitted.
    An organisation's system submits through an account under the reserved `.invalid` domain,
    which no mail can reach, so its receipt always goes to the referrer the document names.
    """
    usable = [
        address
        for address in (referral.referrer_email, user.email)
        if address and not address.lower().endswith(".invalid")
    ]
    return {
        "kind": "referral_receipt",
        "dedupe_key": f"referral-receipt:{referral.public_id}",
        "to": usable[:1],
        "subject": f"Prevent referral received: {referral.reference}",
        "body": _receipt_body(referral),
        "case_reference": referral.reference,
    }
