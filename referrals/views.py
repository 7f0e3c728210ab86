"""The referral journey for a signed-in referrer. Views are thin: selectors read, services write."""

from datetime import date

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST

from config.errors import ApplicationError
from regions.selectors import RoutingError, local_authority_for_postcode
from workflows.engine.clocks import information_request_answer
from workflows.referral.intake import referral_submit

from . import selectors, services
from .forms import SECTIONS, AttachmentForm, DeclarationForm, InformationAnswerForm
from .models import Referral, ReferralStatus
from .permissions import referrer_required

# Journey order; the local-authority page appears only when the postcode is not known.
JOURNEY = [*SECTIONS, "supporting-documents", "check-your-answers"]
# Short keys for the summary lists, where a page's label is a whole question.
SUMMARY_KEYS = {
    "approximate_age": "Approximate age",
    "aliases": "Other names",
    "address_line_1": "Address",
    "person_aware": "Knows about the referral",
    "referrer_name": "Name",
    "referrer_role": "Role",
    "referrer_sector": "Sector",
    "concern_type": "Type of concern",
    "concern_type_other": "Type of concern (other)",
    "narrative": "Concern",
    "seen_or_heard": "What was seen or heard",
    "seen_on": "When",
    "immediate_risk": "Immediate risk of harm",
    "immediate_risk_details": "The risk",
    "complex_needs": "Needs",
}
ADDRESS_PARTS = ("address_line_1", "address_line_2", "town", "postcode")
# The declaration page's one-time submission token (see `declaration`).
SUBMISSION_SALT = "referrals.submission"
SUBMISSION_TOKEN_FIELD = "submission_token"  # noqa: S105  # nosec B105
SUBMISSION_EXPIRED = "This page has expired. Confirm the declaration and submit the referral again"


def _url(name: str, referral: Referral, **kwargs) -> str:
    return reverse(f"referrals:{name}", kwargs={"public_id": referral.public_id, **kwargs})


def _page_url(slug: str, referral: Referral) -> str:
    if slug == "supporting-documents":
        return _url("attachments", referral)
    if slug == "check-your-answers":
        return _url("check", referral)
    return _url("section", referral, slug=slug)


def _needs_local_authority_page(referral: Referral) -> bool:
    if not referral.postcode:
        return False
    try:
        return local_authority_for_postcode(referral.postcode) is None
    except RoutingError:
        return False


def _neighbour(slug: str, referral: Referral, step: int) -> str | None:
    index = JOURNEY.index(slug) + step
    while 0 <= index < len(JOURNEY):
        candidate = JOURNEY[index]
        if candidate != "local-authority" or _needs_local_authority_page(referral):
            return candidate
        index += step
    return None


def _form_with_error(form_class, data, exc: ApplicationError, **kwargs) -> forms.Form:
    """The page's form carrying a service's error, ready to show in the error summary."""
    if isinstance(exc, services.InvalidForm):
        return exc.form
    form = form_class(data=data, **kwargs)
    form.is_valid()
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return form


def _display(field: forms.Field, value) -> str:
    if value is None or value == "" or value == []:
        return "Not given"
    if isinstance(value, date):
        return date_format(value, "j F Y")
    choices = dict(getattr(field, "choices", []) or [])
    if isinstance(value, list | tuple):
        return "\n".join(str(choices.get(v, v)) for v in value)
    if choices and not isinstance(field, forms.ModelChoiceField):
        return str(choices.get(value, value))
    return str(value)


def _answer_groups(referral: Referral, *, editable: bool) -> list[dict]:
    """The referral's answers, grouped as the journey asks them, for a summary list."""
    groups = []
    for section in SECTIONS.values():
        if section.slug == "local-authority":
            continue
        form_class = section.form_class
        values = form_class.initial_for(referral)
        change = f"{_page_url(section.slug, referral)}?return=check"
        rows = []
        for name, field in form_class.base_fields.items():
            value = values.get(name)
            if name == "concern_type_other" and not value:
                continue
            if name == "immediate_risk_details" and values.get("immediate_risk") != "yes":
                continue
            if name in ADDRESS_PARTS[1:]:
                continue
            if name == "address_line_1":
                value = "\n".join(values[p] for p in ADDRESS_PARTS if values.get(p))
            key = SUMMARY_KEYS.get(name, str(field.label).removesuffix(" (optional)"))
            rows.append({"key": key, "value": _display(field, value), "href": change})
        if section.slug == "address":
            la_slug = "local-authority" if _needs_local_authority_page(referral) else "address"
            rows.append(
                {
                    "key": "Local authority",
                    "value": str(referral.local_authority or "Not given"),
                    "href": f"{_page_url(la_slug, referral)}?return=check",
                }
            )
        if not editable:
            for row in rows:
                row["href"] = None
        groups.append({"title": section.title, "slug": section.slug, "rows": rows})
    return groups


@referrer_required
def referral_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.referrals_for_referrer(request.user), 25).get_page(
        request.GET.get("page")
    )
    rows = [(referral, selectors.referral_plain_status(referral)) for referral in page]
    return render(request, "referrals/list.html", {"page": page, "rows": rows})


@referrer_required
def start(request: HttpRequest) -> HttpResponse:
    return render(request, "referrals/start.html")


@referrer_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    referral = services.referral_create_draft(user=request.user)
    return redirect(_page_url(JOURNEY[0], referral))


@referrer_required
def resume(request: HttpRequest, public_id) -> HttpResponse:
    """Carry on with a draft from its first unanswered page."""
    referral = selectors.referral_for_referrer(request.user, public_id)
    if referral.status != ReferralStatus.DRAFT:
        return redirect(_url("detail", referral))
    missing = selectors.sections_incomplete(referral)
    return redirect(_page_url(missing[0].slug if missing else "check-your-answers", referral))


@referrer_required
@require_http_methods(["GET", "POST"])
def section(request: HttpRequest, public_id, slug: str) -> HttpResponse:
    spec = SECTIONS.get(slug)
    if spec is None:
        raise Http404("No such page")
    referral = selectors.referral_for_referrer(request.user, public_id)
    if referral.status != ReferralStatus.DRAFT:
        return redirect(_url("detail", referral))
    returning = (request.GET.get("return") or request.POST.get("return")) == "check"
    if slug == "local-authority" and not _needs_local_authority_page(referral):
        return redirect(_page_url("address", referral))

    if request.method == "POST":
        try:
            referral = services.referral_update_section(
                user=request.user, referral=referral, section=slug, data=request.POST
            )
        except ApplicationError as exc:
            form = _form_with_error(spec.form_class, request.POST, exc)
        else:
            if request.POST.get("action") == "save-draft":
                messages.success(
                    request, "Your draft has been saved. You can carry on with it from this page."
                )
                return redirect("referrals:list")
            if slug == "address" and referral.local_authority_id is None:
                url = _page_url("local-authority", referral)
                return redirect(f"{url}?return=check" if returning else url)
            if returning:
                return redirect(_page_url("check-your-answers", referral))
            return redirect(_page_url(_neighbour(slug, referral, 1), referral))
    else:
        form = spec.form_class(initial=spec.form_class.initial_for(referral))

    if slug == "local-authority":
        form.postcode = referral.postcode
    previous = _neighbour(slug, referral, -1)
    back_url = (
        _page_url("check-your-answers", referral)
        if returning
        else (_page_url(previous, referral) if previous else reverse("referrals:start"))
    )
    return render(
        request,
        f"referrals/sections/{slug}.html",
        {
            "form": form,
            "section": spec,
            "referral": referral,
            "back_url": back_url,
            "returning": returning,
        },
    )


@referrer_required
@require_http_methods(["GET", "POST"])
def attachments(request: HttpRequest, public_id) -> HttpResponse:
    referral = selectors.referral_for_referrer(request.user, public_id)
    if referral.status != ReferralStatus.DRAFT:
        return redirect(_url("detail", referral))
    if request.method == "POST":
        form = AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                attachment = services.attachment_add(
                    user=request.user,
                    referral=referral,
                    uploaded_file=form.cleaned_data["file"],
                    description=form.cleaned_data["description"],
                )
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, f"{attachment.original_name} has been uploaded")
                return redirect(request.get_full_path())
    else:
        form = AttachmentForm()
    returning = request.GET.get("return") == "check"
    previous = _neighbour("supporting-documents", referral, -1)
    return render(
        request,
        "referrals/attachments.html",
        {
            "form": form,
            "referral": referral,
            "attachments": selectors.attachments_of(referral),
            "back_url": _page_url("check-your-answers" if returning else previous, referral),
            "max_files": services.MAX_ATTACHMENTS,
        },
    )


@referrer_required
@require_POST
def attachment_remove(request: HttpRequest, public_id, attachment_id) -> HttpResponse:
    referral = selectors.referral_for_referrer(request.user, public_id)
    if referral.status != ReferralStatus.DRAFT:
        return redirect(_url("detail", referral))
    try:
        services.attachment_remove(
            user=request.user, referral=referral, attachment_public_id=attachment_id
        )
    except ApplicationError as exc:
        messages.info(request, exc.message)
    else:
        messages.success(request, "The file has been removed")
    return redirect(_url("attachments", referral))


@login_required
def attachment_download(request: HttpRequest, public_id, attachment_id) -> HttpResponse:
    """A stored file, for its referrer or staff granted the case. Never shown inline."""
    attachment = selectors.attachment_for_reader(request.user, public_id, attachment_id)
    handle = services.attachment_open(user=request.user, attachment=attachment)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "no-store, private"
    return response


@referrer_required
def check_answers(request: HttpRequest, public_id) -> HttpResponse:
    referral = selectors.referral_for_referrer(request.user, public_id)
    if referral.status != ReferralStatus.DRAFT:
        return redirect(_url("detail", referral))
    missing = selectors.sections_incomplete(referral)
    return render(
        request,
        "referrals/check_answers.html",
        {
            "referral": referral,
            "groups": _answer_groups(referral, editable=True),
            "attachments": selectors.attachments_of(referral),
            "attachments_url": f"{_url('attachments', referral)}?return=check",
            "missing": [(s, _page_url(s.slug, referral)) for s in missing],
            "back_url": _page_url("supporting-documents", referral),
        },
    )


def submission_token(user, referral: Referral) -> str:
    """A token for submitting this draft, once, as this referrer.

    It names the draft, and a draft is submitted once (its row is locked and moves from draft
    to submitted in one transaction), so the token is good for one referral only: a retried or
    double-clicked submission carrying it lands on that referral's confirmation page and
    never makes a second one.
    """
    return signing.dumps(
        {"referral": str(referral.public_id), "user": user.pk}, salt=SUBMISSION_SALT
    )


def _submission_token_valid(token: str, user, referral: Referral) -> bool:
    try:
        value = signing.loads(token, salt=SUBMISSION_SALT, max_age=settings.SESSION_COOKIE_AGE)
    except signing.BadSignature:
        return False
    return value == {"referral": str(referral.public_id), "user": user.pk}


@referrer_required
@require_http_methods(["GET", "POST"])
def declaration(request: HttpRequest, public_id) -> HttpResponse:
    """The journey's final POST. A retry of a submission that went through (a timeout, a
    double click, the back button) finds the referral submitted and shows its confirmation.
    """
    referral = selectors.referral_for_referrer(request.user, public_id)
    if referral.status != ReferralStatus.DRAFT:
        return redirect(_url("confirmation", referral))
    errors = []
    if request.method == "POST":
        form = DeclarationForm(request.POST)
        token = request.POST.get(SUBMISSION_TOKEN_FIELD, "")
        if not _submission_token_valid(token, request.user, referral):
            errors = [{"text": SUBMISSION_EXPIRED, "href": "#id_confirm"}]
            form = DeclarationForm()
        elif form.is_valid():
            try:
                referral_submit(user=request.user, referral=referral, declaration_confirmed=True)
            except services.IncompleteReferral as exc:
                errors = [
                    {
                        "text": f"Answer the questions in ‘{s.title}’",
                        "href": _page_url(s.slug, referral),
                    }
                    for s in exc.sections
                ]
            except ApplicationError as exc:
                if exc.code == "already_submitted":  # a second click while the first was sent
                    return redirect(_url("confirmation", referral))
                form = _form_with_error(DeclarationForm, request.POST, exc)
            else:
                return redirect(_url("confirmation", referral))
    else:
        if selectors.sections_incomplete(referral):
            return redirect(_url("check", referral))
        form = DeclarationForm()
    return render(
        request,
        "referrals/declaration.html",
        {
            "form": form,
            "errors": errors,
            "referral": referral,
            "back_url": _url("check", referral),
            "submission_token": submission_token(request.user, referral),
        },
    )


@referrer_required
def confirmation(request: HttpRequest, public_id) -> HttpResponse:
    referral = selectors.referral_for_referrer(request.user, public_id)
    if referral.status == ReferralStatus.DRAFT:
        return redirect(_url("resume", referral))
    return render(request, "referrals/confirmation.html", {"referral": referral})


def _detail(request, referral: Referral, *, error_form=None, error_request_id=None):
    questions = []
    for question in selectors.information_requests_of(referral):
        form = None
        if question.answered_at is None and referral.status != ReferralStatus.CLOSED:
            form = (
                error_form
                if question.public_id == error_request_id
                else InformationAnswerForm(auto_id=f"q-{question.public_id}-%s")
            )
        questions.append({"question": question, "form": form})
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral,
            "status": selectors.referral_plain_status(referral),
            "questions": questions,
            "groups": _answer_groups(referral, editable=False),
            "attachments": selectors.attachments_of(referral),
            "form": error_form,
        },
    )


@referrer_required
def detail(request: HttpRequest, public_id) -> HttpResponse:
    referral = selectors.referral_for_referrer(request.user, public_id)
    if referral.status == ReferralStatus.DRAFT:
        return redirect(_url("resume", referral))
    return _detail(request, referral)


@referrer_required
@require_POST
def information_answer(request: HttpRequest, public_id, request_id) -> HttpResponse:
    referral = selectors.referral_for_referrer(request.user, public_id)
    question = selectors.information_request_for_referrer(request.user, referral, request_id)
    try:
        information_request_answer(
            user=request.user, information_request=question, answer=request.POST.get("answer", "")
        )
    except ApplicationError as exc:
        form = _form_with_error(InformationAnswerForm, request.POST, exc)
        return _detail(request, referral, error_form=form, error_request_id=question.public_id)
    messages.success(request, "Thank you. Your answer has been sent")
    return redirect(_url("detail", referral))
