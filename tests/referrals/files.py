"""Small but real files of each accepted type, and some that must be refused."""

import io
import struct
import zipfile
import zlib


def pdf(
    text: str = "Notes of a conversation with the pupil",
    *,
    compress: bool = True,
    encrypted: bool = False,
    title: str = "",
) -> bytes:
    """A one-page PDF showing `text` (use a list of pieces to split it into a TJ array)."""
    if isinstance(text, list | tuple):
        shown = "[" + " -20 ".join(f"({piece})" for piece in text) + "] TJ"
    else:
        shown = f"({text}) Tj"
    stream = f"BT /F1 12 Tf 72 720 Td {shown} ET".encode()
    if compress:
        stream = zlib.compress(stream)
    filters = "/Filter /FlateDecode " if compress else ""
    info = f"4 0 obj << /Title ({title}) >> endobj\n".encode() if title else b""
    encrypt = b"/Encrypt 9 0 R " if encrypted else b""
    return (
        b"%PDF-1.4\n"
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /Contents 5 0 R >> endobj\n"
        + info
        + f"5 0 obj << {filters}/Length {len(stream)} >>\nstream\n".encode()
        + stream
        + b"\nendstream\nendobj\n"
        + b"trailer << /Root 1 0 R "
        + encrypt
        + b">>\n%%EOF\n"
    )


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def docx(text: str = "Notes of a meeting", *, header: str = "", macros: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        runs = "".join(f"<w:r><w:t>{piece}</w:t></w:r>" for piece in text.split("|"))
        archive.writestr(
            "word/document.xml",
            f'<?xml version="1.0"?><w:document><w:body><w:p>{runs}</w:p></w:body></w:document>',
        )
        if header:
            archive.writestr(
                "word/header1.xml", f"<w:hdr><w:p><w:r><w:t>{header}</w:t></w:r></w:p></w:hdr>"
            )
        if macros:
            archive.writestr("word/vbaProject.bin", b"\x00" * 16)
    return buffer.getvalue()


def xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
