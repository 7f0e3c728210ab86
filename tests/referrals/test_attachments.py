"""Supporting documents: type by content, size limit, protective markings, storage and access."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from guardian.shortcuts import assign_perm

from compliance.models import AuditEvent
from config.errors import ApplicationError, PermissionDenied
from referrals import services
from referrals.attachments import marking_found
from referrals.models import Attachment
from tests.factories import DraftReferralFactory, ReferrerFactory, SubmittedReferralFactory

from . import files

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(referrer):
    return DraftReferralFactory(created_by=referrer)


def _upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _stored_files(storage_dir) -> list:
    return [p for p in storage_dir.rglob("*") if p.is_file()] if storage_dir.exists() else []


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("notes.pdf", files.pdf(), "application/pdf"),
        ("notes-plain.pdf", files.pdf(compress=False), "application/pdf"),
        ("screenshot.png", files.png(), "image/png"),
        ("photo.jpg", files.jpeg(), "image/jpeg"),
        (
            "meeting.docx",
            files.docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("notes.txt", "Conversation notes – 3 March".encode(), "text/plain; charset=utf-8"),
        # The type comes from the content, whatever the name says.
        ("not-really.pdf", files.png(), "image/png"),
    ],
)
def test_accepted_types_are_stored_privately_with_their_hash(
    referrer, draft, _private_storage, name, content, content_type
):
    attachment = services.attachment_add(
        user=referrer, referral=draft, uploaded_file=_upload(name, content), description="Notes"
    )
    assert attachment.content_type == content_type
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.size == len(content)
    assert attachment.original_name == name
    stored = _stored_files(_private_storage)
    assert len(stored) == 1 and stored[0].read_bytes() == content
    assert name not in str(stored[0]), "the uploader's file name is never used on disk"
    assert AuditEvent.objects.filter(action="attachment.added").count() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("photo.png", files.exe(), "The selected file must be a PDF, Word (DOCX), JPEG, PNG"),
        ("sheet.docx", files.xlsx(), "The selected file must be a PDF, Word (DOCX), JPEG, PNG"),
        ("macro.docx", files.docx(macros=True), "The selected file contains macros"),
        ("locked.pdf", files.pdf(encrypted=True), "The selected file is password protected"),
        ("binary.txt", b"abc\x00\x01\x02def", "The selected file must be a PDF"),
        ("report.pdf", files.pdf("SECRET"), "marked SECRET or TOP SECRET"),
        ("report2.pdf", files.pdf("TOP SECRET UK EYES ONLY"), "marked SECRET or TOP SECRET"),
        ("split.pdf", files.pdf(["SEC", "RET"]), "marked SECRET or TOP SECRET"),
        ("plain.pdf", files.pdf("SECRET", compress=False), "marked SECRET or TOP SECRET"),
        ("titled.pdf", files.pdf("hello", title="SECRET"), "marked SECRET or TOP SECRET"),
        ("memo.docx", files.docx("TOP |SEC|RET"), "marked SECRET or TOP SECRET"),
        ("memo2.docx", files.docx("Notes", header="SECRET"), "marked SECRET or TOP SECRET"),
        ("memo.txt", b"TOP SECRET\nOperation details", "marked SECRET or TOP SECRET"),
        ("SECRET notes.txt", b"Plain notes", "marked SECRET or TOP SECRET"),
        ("wide.txt", "ＴＯＰ ＳＥＣＲＥＴ".encode(), "marked SECRET or TOP SECRET"),
        ("hidden.txt", "SE\u200dCRET".encode(), "marked SECRET or TOP SECRET"),
        ("title.txt", b"Secret - UK eyes only", "marked SECRET or TOP SECRET"),
        ("entity.docx", files.docx("&#83;ECRET"), "marked SECRET or TOP SECRET"),
        ("ＳＥＣＲＥＴ.txt", b"Plain notes", "marked SECRET or TOP SECRET"),
    ],
)
def test_refused_files_get_a_clear_error_and_nothing_is_saved(
    referrer, draft, _private_storage, name, content, message
):
    with pytest.raises(ApplicationError) as caught:
        services.attachment_add(user=referrer, referral=draft, uploaded_file=_upload(name, content))
    assert message in caught.value.message
    assert caught.value.field == "file"
    assert not Attachment.objects.exists()
    assert _stored_files(_private_storage) == []
    assert not AuditEvent.objects.filter(action="attachment.added").exists()


def test_secret_refusal_says_where_the_material_must_go(referrer, draft):
    with pytest.raises(ApplicationError) as caught:
        services.attachment_add(
            user=referrer, referral=draft, uploaded_file=_upload("a.pdf", files.pdf("SECRET"))
        )
    assert "must not be uploaded here" in caught.value.message
    assert "appropriate secure channel" in caught.value.message


def test_oversized_files_are_refused(referrer, draft, settings, _private_storage):
    settings.ATTACHMENT_MAX_BYTES = 2 * 1024 * 1024
    big = b"a" * (2 * 1024 * 1024 + 1)
    with pytest.raises(ApplicationError) as caught:
        services.attachment_add(user=referrer, referral=draft, uploaded_file=_upload("a.txt", big))
    assert caught.value.message == "The selected file must be smaller than 2MB"
    assert not Attachment.objects.exists() and _stored_files(_private_storage) == []


def test_description_with_a_marking_is_refused(referrer, draft):
    with pytest.raises(ApplicationError) as caught:
        services.attachment_add(
            user=referrer,
            referral=draft,
            uploaded_file=_upload("a.txt", b"notes"),
            description="SECRET briefing",
        )
    assert caught.value.field == "description"
    assert not Attachment.objects.exists()


def test_the_same_file_twice_is_refused(referrer, draft):
    services.attachment_add(user=referrer, referral=draft, uploaded_file=_upload("a.txt", b"x1"))
    with pytest.raises(ApplicationError, match="already uploaded"):
        services.attachment_add(
            user=referrer, referral=draft, uploaded_file=_upload("b.txt", b"x1")
        )
    assert Attachment.objects.count() == 1


def test_only_the_author_can_add_to_a_draft(draft, other_referrer):
    with pytest.raises(PermissionDenied):
        services.attachment_add(
            user=other_referrer, referral=draft, uploaded_file=_upload("a.txt", b"notes")
        )
    assert not Attachment.objects.exists()


def test_no_attachments_once_submitted(referrer):
    submitted = SubmittedReferralFactory(created_by=referrer)
    with pytest.raises(ApplicationError, match="already been submitted"):
        services.attachment_add(
            user=referrer, referral=submitted, uploaded_file=_upload("a.txt", b"notes")
        )


def test_remove_deletes_the_row_and_the_file(
    referrer, draft, _private_storage, django_capture_on_commit_callbacks
):
    attachment = services.attachment_add(
        user=referrer, referral=draft, uploaded_file=_upload("a.txt", b"notes")
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_remove(
            user=referrer, referral=draft, attachment_public_id=attachment.public_id
        )
    assert not Attachment.objects.exists()
    assert _stored_files(_private_storage) == []
    assert AuditEvent.objects.filter(action="attachment.removed").count() == 1


def test_upload_page_shows_errors_in_the_summary(referrer_client, draft):
    url = reverse("referrals:attachments", args=[draft.public_id])
    response = referrer_client.post(url, {"file": _upload("virus.png", files.exe())})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<a href="#id_file">The selected file must be a PDF' in html
    assert "govuk-file-upload--error" in html
    response = referrer_client.post(url, {})
    assert '<a href="#id_file">Select a file</a>' in response.content.decode()
    response = referrer_client.post(url, {"file": _upload("empty.txt", b"")})
    assert "The selected file is empty" in response.content.decode()
    assert not Attachment.objects.exists()


def test_upload_and_remove_through_the_page(referrer_client, draft):
    url = reverse("referrals:attachments", args=[draft.public_id])
    response = referrer_client.post(
        url, {"file": _upload("notes.pdf", files.pdf()), "description": "Notes"}
    )
    assert response.status_code == 302
    page = referrer_client.get(url).content.decode()
    assert "notes.pdf has been uploaded" in page and "Remove<span" in page
    attachment = Attachment.objects.get()
    remove = reverse("referrals:attachment_remove", args=[draft.public_id, attachment.public_id])
    assert referrer_client.post(remove).status_code == 302
    assert not Attachment.objects.exists()


class TestDownload:
    @pytest.fixture
    def attachment(self, referrer, draft):
        return services.attachment_add(
            user=referrer,
            referral=draft,
            uploaded_file=_upload("Notes – pupil.pdf", files.pdf()),
        )

    def _url(self, attachment):
        return reverse(
            "referrals:attachment_download",
            args=[attachment.referral.public_id, attachment.public_id],
        )

    def test_author_downloads_it_as_an_attachment(self, referrer_client, attachment):
        response = referrer_client.get(self._url(attachment))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == files.pdf()
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert "filename*=utf-8''Notes%20%E2%80%93%20pupil.pdf" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert AuditEvent.objects.filter(action="attachment.downloaded").count() == 1

    def test_another_referrer_gets_404(self, client, attachment):
        client.force_login(ReferrerFactory())
        assert client.get(self._url(attachment)).status_code == 404

    def test_staff_need_the_object_permission(self, client, attachment, police_officer):
        client.force_login(police_officer)
        assert client.get(self._url(attachment)).status_code == 404
        assign_perm("referrals.view_referral", police_officer, attachment.referral)
        police_officer = type(police_officer).objects.get(pk=police_officer.pk)
        client.force_login(police_officer)
        assert client.get(self._url(attachment)).status_code == 200

    def test_anonymous_is_sent_to_sign_in(self, client, attachment):
        response = client.get(self._url(attachment))
        assert response.status_code == 302 and "/sign-in/" in response["Location"]

    def test_wrong_referral_in_the_url_is_404(self, referrer_client, referrer, attachment):
        other = DraftReferralFactory(created_by=referrer)
        url = reverse("referrals:attachment_download", args=[other.public_id, attachment.public_id])
        assert referrer_client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("text", "marking"),
    [
        ("SECRET", "SECRET"),
        ("Classification: TOP SECRET", "TOP SECRET"),
        ("TOP_SECRET", "TOP SECRET"),
        ("UK SECRET//STRAP", "SECRET"),
        ("OFFICIAL-SENSITIVE", None),
        ("a secret plan", None),
        ("Secretly", None),
        ("secretary", None),
        ("SECRETS", None),
        ("Secret", "SECRET"),
        ("Top Secret", "TOP SECRET"),
        ("ＳＥＣＲＥＴ", "SECRET"),
        ("ＴＯＰ　ＳＥＣＲＥＴ", "TOP SECRET"),
        ("SEC\u200bRET", "SECRET"),
        ("S\u00adE\u2060C\u200cR\u200dE\ufeffT", "SECRET"),
        ("\u202eSECRET\u202c", "SECRET"),
        ("S E C R E T", "SECRET"),
        ("S.E.C.R.E.T.", "SECRET"),
        ("\u0405\u0415\u0421R\u0415\u0422", "SECRET"),
        ("s e c r e t", None),
        ("top secret", None),
    ],
)
def test_marking_detection(text, marking):
    assert marking_found(text) == marking
