"""What an uploaded file really is, and whether it carries a protective marking we must refuse.

The type is decided by the file's content (magic bytes and structure), never by its name or the
browser's Content-Type, and only a short list of types is accepted. The marking check reads the
text of the first pages of a document; it is a safety net against material that must never be
stored here, not a classification service.
"""

import html
import re
import zipfile
import zlib
from dataclasses import dataclass
from io import BytesIO

# The one rule for markings, shared with every free-text field.
from config.classification import MARKED_FILE_MESSAGE, marking_found

ALLOWED_TYPES_TEXT = "PDF, Word (DOCX), JPEG, PNG or plain text"

# How much of a document is read when looking for a marking: enough for its first pages.
_PDF_MAX_STREAMS = 40
_MAX_TEXT_BYTES = 4 * 1024 * 1024
_DOCX_PARTS = re.compile(
    r"^(word/(document|header\d*|footer\d*)\.xml|docProps/(core|custom|app)\.xml)$"
)


class FileRefused(ValueError):
    """The file cannot be accepted; the message is fit to show to the person uploading it."""


@dataclass(frozen=True)
class FileType:
    content_type: str
    label: str


PDF = FileType("application/pdf", "PDF")
PNG = FileType("image/png", "PNG image")
JPEG = FileType("image/jpeg", "JPEG image")
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word document"
)
TEXT = FileType("text/plain; charset=utf-8", "Text file")


def detect_type(content: bytes) -> FileType:
    """The type of an accepted file, from its content. Raises FileRefused for anything else."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"PK\x03\x04"):
        return _docx_or_refuse(content)
    if _is_plain_text(content):
        return TEXT
    raise FileRefused(f"The selected file must be a {ALLOWED_TYPES_TEXT}")


def _docx_or_refuse(content: bytes) -> FileType:
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise FileRefused(f"The selected file must be a {ALLOWED_TYPES_TEXT}") from exc
    if "[Content_Types].xml" not in names or "word/document.xml" not in names:
        raise FileRefused(f"The selected file must be a {ALLOWED_TYPES_TEXT}")
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise FileRefused("The selected file contains macros. Save it as a .docx without macros")
    return DOCX


def _is_plain_text(content: bytes) -> bool:
    sample = content[:65536]
    if b"\x00" in sample:
        return False
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        if exc.start < len(sample) - 4:
            return False
        text = sample[: exc.start].decode("utf-8")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    return controls == 0


def text_for_marking_check(content: bytes, file_type: FileType) -> str:
    """The readable text of the file (for documents, their first pages and properties)."""
    if file_type is TEXT:
        return content[:_MAX_TEXT_BYTES].decode("utf-8", errors="replace")
    if file_type is PDF:
        return _pdf_text(content)
    if file_type is DOCX:
        return _docx_text(content)
    # Images: only their embedded text metadata (XMP, comments) can be read.
    return content[:262144].decode("latin-1")


def _pdf_text(content: bytes) -> str:
    if b"/Encrypt" in content:
        raise FileRefused("The selected file is password protected. Upload it without a password")
    pieces = [_pdf_strings(content[:262144])]
    budget = _MAX_TEXT_BYTES
    for count, match in enumerate(re.finditer(rb"stream\r?\n", content)):
        if count >= _PDF_MAX_STREAMS or budget <= 0:
            break
        start = match.end()
        end = content.find(b"endstream", start)
        if end == -1:
            break
        raw = content[start:end]
        header = content[max(0, match.start() - 400) : match.start()]
        data = raw
        if b"/FlateDecode" in header.rsplit(b"obj", 1)[-1]:
            decompressor = zlib.decompressobj()
            try:
                data = decompressor.decompress(raw, budget)
            except zlib.error:
                continue
        budget -= len(data)
        pieces.append(_pdf_strings(data))
    return "\n".join(pieces)


_PDF_LITERAL = re.compile(rb"\((?:\\.|[^\\()])*\)", re.S)
_PDF_HEX = re.compile(rb"<([0-9A-Fa-f\s]{2,})>")
_PDF_ARRAY = re.compile(rb"\[(.*?)\]\s*TJ", re.S)


def _pdf_unescape(literal: bytes) -> str:
    body = literal[1:-1]
    body = re.sub(
        rb"\\([nrtbf()\\])",
        lambda m: {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(m.group(1), m.group(1)),
        body,
    )
    body = re.sub(rb"\\([0-7]{1,3})", lambda m: bytes([int(m.group(1), 8) & 0xFF]), body)
    return body.decode("latin-1")


def _pdf_strings(data: bytes) -> str:
    """Text shown by a content stream: each TJ array joined up, then every other string."""
    parts = []
    for array in _PDF_ARRAY.finditer(data):
        parts.append("".join(_pdf_unescape(m.group(0)) for m in _PDF_LITERAL.finditer(array[1])))
    parts.extend(_pdf_unescape(m.group(0)) for m in _PDF_LITERAL.finditer(data))
    for match in _PDF_HEX.finditer(data):
        digits = re.sub(rb"\s", b"", match.group(1))
        if len(digits) % 2 == 0:
            parts.append(bytes.fromhex(digits.decode()).decode("latin-1"))
    return "\n".join(parts)


def _docx_text(content: bytes) -> str:
    pieces = []
    with zipfile.ZipFile(BytesIO(content)) as archive:
        for info in archive.infolist():
            if not _DOCX_PARTS.match(info.filename):
                continue
            with archive.open(info) as part:
                xml = part.read(_MAX_TEXT_BYTES).decode("utf-8", errors="replace")
            # Runs of one paragraph are joined so that "SEC" + "RET" reads as one word.
            xml = re.sub(r"</w:p>|<w:br/>|</vt:lpwstr>|</cp:\w+>|</dc:\w+>", "\n", xml)
            # Character references ("&#83;ECRET") are read as the characters they stand for.
            pieces.append(html.unescape(re.sub(r"<[^>]+>", "", xml)))
    return "\n".join(pieces)


def check_file(*, name: str, content: bytes) -> FileType:
    """The file's type if it may be stored. Raises FileRefused with the reason otherwise."""
    file_type = detect_type(content)
    if marking_found(name) or marking_found(text_for_marking_check(content, file_type)):
        raise FileRefused(MARKED_FILE_MESSAGE)
    return file_type
