"""Decide what a file is from its bytes, and refuse executables however they are named."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

EXECUTABLE_EXTENSIONS = frozenset({
    "exe", "dll", "com", "scr", "msi", "bat", "cmd", "ps1", "vbs", "vbe", "js", "jse", "wsf",
    "wsh", "hta", "cpl", "jar", "apk", "app", "dmg", "sh", "bash", "elf", "bin", "run", "pif",
    "lnk", "reg",
})
MAX_ZIP_ENTRIES = 1000
MAX_ZIP_RATIO = 100
MAX_ZIP_DEPTH = 2

# (magic prefix, offset, media type)
_SIGNATURES: list[tuple[bytes, int, str]] = [
    (b"%PDF-", 0, "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"ftypheic", 4, "image/heic"),
    (b"ftypmif1", 4, "image/heic"),
    (b"ftypisom", 4, "video/mp4"),
    (b"ftypmp42", 4, "video/mp4"),
    (b"PK\x03\x04", 0, "application/zip"),
    (b"PK\x05\x06", 0, "application/zip"),
    (b"\x1f\x8b", 0, "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", 0, "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", 0, "application/vnd.rar"),
    (b"ustar", 257, "application/x-tar"),
    (b"MZ", 0, "application/x-msdownload"),
    (b"\x7fELF", 0, "application/x-elf"),
    (b"\xfe\xed\xfa\xce", 0, "application/x-mach-binary"),
    (b"\xfe\xed\xfa\xcf", 0, "application/x-mach-binary"),
    (b"\xcf\xfa\xed\xfe", 0, "application/x-mach-binary"),
    (b"\xce\xfa\xed\xfe", 0, "application/x-mach-binary"),
    (b"\xca\xfe\xba\xbe", 0, "application/x-mach-binary"),
    (b"#!", 0, "text/x-script"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "application/x-ole-storage"),
]
EXECUTABLE_TYPES = frozenset(
    {"application/x-msdownload", "application/x-elf", "application/x-mach-binary", "text/x-script"}
)
UNINSPECTABLE_ARCHIVES = frozenset(
    {"application/gzip", "application/x-7z-compressed", "application/vnd.rar", "application/x-tar"}
)
OFFICE_ZIPS = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


class Refused(ValueError):
    """The file may not be stored; the message says why in plain words."""


@dataclass(frozen=True)
class Sniffed:
    """What the bytes are."""

    media_type: str
    extension_mismatch: bool


def sniff(data: bytes, filename: str = "") -> Sniffed:
    """The media type of ``data`` from its bytes; raises ``Refused`` for executables.

    Archives are opened and refused when they hide an executable, nest too deep, or
    expand implausibly (a zip bomb). Archives we cannot inspect are refused.
    """
    media = _magic(data)
    ext = _extension(filename)
    if media in EXECUTABLE_TYPES:
        named = f" although its name is {filename!r}" if filename else ""
        raise Refused(f"this file is a program ({media}){named}; programs are not accepted")
    if ext in EXECUTABLE_EXTENSIONS:
        raise Refused(f"files ending in .{ext} are programs and are not accepted")
    if media in UNINSPECTABLE_ARCHIVES:
        raise Refused(f"{media} archives cannot be checked for programs; send the files or a ZIP")
    if media == "application/zip":
        media = _check_zip(data, depth=1)
    if media == "application/octet-stream" and _looks_like_text(data):
        media = "text/plain"
    expected = _EXT_TYPES.get(ext)
    return Sniffed(media, expected is not None and expected != media)


_EXT_TYPES = {
    "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
    "gif": "image/gif", "webp": "image/webp", "txt": "text/plain", "zip": "application/zip",
    "docx": OFFICE_ZIPS["word/"], "xlsx": OFFICE_ZIPS["xl/"],
}


def _extension(filename: str) -> str:
    """The extension Windows would act on: trailing dots and spaces do not count."""
    name = filename.rstrip(". ")
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _magic(data: bytes) -> str:
    for prefix, offset, media in _SIGNATURES:
        if data[offset:offset + len(prefix)] == prefix:
            return media
    return "application/octet-stream"


def _looks_like_text(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(sample) - 4  # a multibyte character cut by the sample
    return True


def _check_zip(data: bytes, depth: int) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Refused(f"the ZIP archive is damaged ({exc})") from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise Refused(f"the archive holds {len(entries)} files; at most {MAX_ZIP_ENTRIES}")
    total = sum(e.file_size for e in entries)
    if total > max(len(data), 1) * MAX_ZIP_RATIO or total > 1 << 30:
        raise Refused("the archive expands to an implausible size (a zip bomb)")
    names = [e.filename for e in entries]
    for entry in entries:
        if entry.is_dir():
            continue
        if _extension(entry.filename) in EXECUTABLE_EXTENSIONS:
            raise Refused(f"the archive hides a program: {entry.filename}")
        try:
            head = archive.open(entry).read(512)
        except (zipfile.BadZipFile, RuntimeError, OSError, NotImplementedError) as exc:
            raise Refused(f"{entry.filename} in the archive cannot be read ({exc})") from None
        inner = _magic(head)
        if inner in EXECUTABLE_TYPES:
            raise Refused(f"the archive hides a program: {entry.filename}")
        if inner in UNINSPECTABLE_ARCHIVES:
            raise Refused(f"the archive holds another archive we cannot check: {entry.filename}")
        if inner == "application/zip":
            if depth >= MAX_ZIP_DEPTH:
                raise Refused("archives nested too deep")
            _check_zip(archive.read(entry), depth + 1)
    for prefix, media in OFFICE_ZIPS.items():
        if any(n.startswith(prefix) for n in names) and "[Content_Types].xml" in names:
            return media
    return "application/zip"
