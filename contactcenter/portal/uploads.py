"""Files customers attach on the portal: kept only when their content is a type we keep.

The browser's declared type is not trusted: the first bytes decide (a PDF starts "%PDF", a PNG
with its signature...), so an HTML page or a program renamed "invoice.pdf" is refused. Office
documents are ZIP containers; they are stored as they came and never unpacked here, so a ZIP bomb
costs its stored size and nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

from contactcenter.errors import DomainError, Kind

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_OFFICE = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_TEXT = {".txt": "text/plain", ".csv": "text/csv", ".log": "text/plain"}


class UploadError(DomainError, ValueError):
    kind: Kind = "unprocessable"
    code = "upload_refused"


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


def safe_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return name[:255] or "attachment"


def checked_upload(filename: str, data: bytes) -> Upload:
    """The upload as we keep it, or UploadError saying why not."""
    name = safe_filename(filename)
    if not data:
        raise UploadError(f"{name} is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(f"{name} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return Upload(name, content_type, data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Upload(name, "image/webp", data)
    if data.startswith(b"PK\x03\x04") and suffix in _OFFICE:
        return Upload(name, _OFFICE[suffix], data)
    if suffix in _TEXT and b"\x00" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return Upload(name, _TEXT[suffix], data)
    raise UploadError(f"{name}: we keep PDF, images (PNG, JPEG, GIF, WebP), Word and Excel files and plain text")
