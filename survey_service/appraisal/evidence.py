"""Evidence files (tài liệu kiểm chứng): what may be uploaded, and where it is kept.

:func:`check_upload` decides a file's type from its content, never from its name: PDF,
PNG, JPEG, and the Word, Excel and OpenDocument formats (zip containers whose entries
say which they are).  Anything else, a renamed executable included, is refused, and
so is an empty file or one over the size limit.  The name a person gave is kept only
for display; a name that is a path (``../../x.pdf``) is refused.

Files are stored content-addressed (by SHA-256) through a small :class:`EvidenceStore`
interface: :class:`LocalStore` keeps them under the instance folder; a deployment may
give another store with the same three methods (an S3-compatible object store, for
example).  The database keeps only the hash, name, type and size.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..core.errors import ServiceError

#: Content types the service accepts, by the extension they are downloaded with.
TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}

#: Defaults of the limits (``SURVEY_EVIDENCE_FILE_MB``, ``SURVEY_EVIDENCE_UNIT_MB``).
DEFAULT_FILE_MB = 20
DEFAULT_UNIT_MB = 500

_OOXML = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx", "ppt/presentation.xml": "pptx"}
_ODF = {"application/vnd.oasis.opendocument.text": "odt",
        "application/vnd.oasis.opendocument.spreadsheet": "ods"}
_UNSAFE = re.compile(r"[^\w.\- ()]+", re.UNICODE)


def sniff(data: bytes) -> str | None:
    """The extension of :data:`TYPES` that ``data`` is, from its content; None if none.

    >>> sniff(b"%PDF-1.7 ..."), sniff(b"MZ\\x90\\x00 a renamed program"), sniff(b"")
    ('pdf', None, None)
    """
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    return None


def _sniff_zip(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "mimetype" in names and zf.getinfo("mimetype").file_size < 100:
                return _ODF.get(zf.read("mimetype").decode("ascii", "replace").strip())
            if "[Content_Types].xml" in names:
                return next((ext for entry, ext in _OOXML.items() if entry in names), None)
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, NotImplementedError):
        return None
    return None


def safe_name(name: str, extension: str) -> str:
    """A plain file name to show and to download as: no folders, no control characters,
    and the extension of the type the content really is.

    >>> safe_name("../../báo cáo 2020.PDF", "pdf")
    'báo cáo 2020.pdf'
    >>> safe_name("C:\\\\x\\\\y.exe", "pdf")
    'y.pdf'
    """
    base = re.split(r"[\\\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    stem = _UNSAFE.sub("_", os.path.splitext(base)[0]).strip(" ._")[:120] or "tai-lieu"
    return f"{stem}.{extension}"


def is_path(name: str) -> bool:
    """Whether a file name as sent is a path rather than a plain name.

    >>> is_path("../../x.pdf"), is_path("C:" + chr(92) + "x.pdf"), is_path("báo cáo.pdf")
    (True, True, False)
    """
    return any(sep in (name or "") for sep in ("/", "\\")) or (name or "").strip() in (".", "..") \
        or (name or "").startswith("..")


@dataclass(frozen=True)
class Upload:
    """A checked evidence file: its content, hash, type and display name."""

    data: bytes
    sha256: str
    extension: str
    content_type: str
    filename: str

    @property
    def size(self) -> int:
        return len(self.data)


def check_upload(data: bytes, filename: str, *, max_bytes: int) -> Upload:
    """Check an uploaded file; :class:`ServiceError` (413 or 422) if it may not be kept."""
    if len(data) > max_bytes:
        raise ServiceError(
            f"Tệp '{safe_name(filename, 'x')[:-2]}' lớn hơn giới hạn {max_bytes // (1024 * 1024)} MB.",
            f"The file '{safe_name(filename, 'x')[:-2]}' is over the limit of "
            f"{max_bytes // (1024 * 1024)} MB.", status=413)
    if not data:
        raise ServiceError("Tệp rỗng, không có nội dung.", "The file is empty.", status=422)
    if is_path(filename):
        raise ServiceError("Tên tệp không được là một đường dẫn (có '/', '\\' hoặc '..'): hãy đặt "
                           "một tên tệp bình thường.",
                           "A file name may not be a path (with '/', '\\' or '..'): give a plain "
                           "file name.", status=422)
    extension = sniff(data)
    if extension is None:
        raise ServiceError(
            "Loại tệp không được nhận. Chỉ nhận PDF, ảnh (PNG, JPEG), Word, Excel, PowerPoint "
            "(.docx, .xlsx, .pptx) và OpenDocument (.odt, .ods); loại tệp được xác định theo nội "
            "dung, không theo tên.",
            "This type of file is not accepted. Only PDF, images (PNG, JPEG), Word, Excel, "
            "PowerPoint (.docx, .xlsx, .pptx) and OpenDocument (.odt, .ods) are; the type is "
            "told from the content, not the name.", status=422)
    return Upload(data=data, sha256=hashlib.sha256(data).hexdigest(), extension=extension,
                  content_type=TYPES[extension], filename=safe_name(filename, extension))


class EvidenceStore(Protocol):
    """Where evidence content is kept, addressed by its SHA-256."""

    def put(self, sha256: str, data: bytes) -> None:
        """Keep ``data`` under ``sha256`` (nothing to do if it is there already)."""

    def get(self, sha256: str) -> bytes:
        """The content kept under ``sha256``; KeyError if there is none."""

    def delete(self, sha256: str) -> None:
        """Forget the content kept under ``sha256`` (no error if there is none)."""


class LocalStore:
    """Content under a folder: ``ab/cdef...`` by hash, written whole or not at all."""

    def __init__(self, folder: str | os.PathLike[str]):
        self.folder = Path(folder)

    def _path(self, sha256: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise KeyError(sha256)
        return self.folder / sha256[:2] / sha256[2:]

    def put(self, sha256: str, data: bytes) -> None:
        path = self._path(sha256)
        if path.is_file():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def get(self, sha256: str) -> bytes:
        try:
            return self._path(sha256).read_bytes()
        except FileNotFoundError:
            raise KeyError(sha256) from None

    def delete(self, sha256: str) -> None:
        self._path(sha256).unlink(missing_ok=True)
