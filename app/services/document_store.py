"""Storage of the files learners send with their application (PDF, JPEG and PNG only).

A file is accepted only when its first bytes say it is a PDF, a JPEG or a PNG, and both its
extension and the type the browser declared agree with them: a PNG named ``.pdf``, or a PDF sent
as ``image/png``, is refused. Files are kept outside the web root (config ``UPLOAD_DIR``) under a
random storage key, never under the name they were sent with; the SHA-256 and the size are
returned to be recorded. A refused file leaves nothing behind: the type is checked before a byte
is written, and a file found too large while it is copied is deleted at once.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO

from flask_babel import format_decimal, lazy_gettext as _l

from .refusals import Refusal

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Kind:
    content_type: str
    signature: bytes
    extensions: frozenset[str]
    label: str


KINDS = (
    Kind("application/pdf", b"%PDF-", frozenset({".pdf"}), "PDF"),
    Kind("image/jpeg", b"\xff\xd8\xff", frozenset({".jpg", ".jpeg"}), "JPEG"),
    Kind("image/png", b"\x89PNG\r\n\x1a\n", frozenset({".png"}), "PNG"),
)
# Other names browsers give the same types.
TYPE_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "application/x-pdf": "application/pdf",
                "image/x-png": "image/png"}
SIGNATURE_LENGTH = max(len(kind.signature) for kind in KINDS)

REFUSALS = {
    "missing": _l("Choose a file to send."),
    "empty": _l("The file “%(name)s” is empty: nothing was saved."),
    "too_large": _l("The file “%(name)s” is larger than %(limit)s, the largest size accepted: nothing was "
                    "saved. Send a smaller file (a scan at a lower resolution, for example)."),
    "type": _l("The file “%(name)s” is not a PDF, JPEG or PNG file: nothing was saved. Only PDF, JPEG and PNG "
               "files are accepted."),
    "extension": _l("The name of the file “%(name)s” does not match its content (a %(kind)s file): nothing was "
                    "saved. Send the file under its real name and extension."),
    "declared": _l("The file “%(name)s” was sent as another type of file than its content (a %(kind)s file): "
                   "nothing was saved."),
}


class UploadRefused(Refusal):
    """An uploaded file the rules do not accept; ``message`` is translated when read."""

    MESSAGES = REFUSALS


@dataclass(frozen=True)
class StoredFile:
    key: str
    original_name: str
    content_type: str
    sha256: str
    size: int


def human_size(size: int) -> str:
    """A size for people, in the page's language: "5 MB" / "5 Mo", "340 KB" / "340 ko"."""
    if size >= 1024 * 1024:
        return str(_l("%(size)s MB")) % {"size": format_decimal(round(size / (1024 * 1024), 1))}
    if size >= 1024:
        return str(_l("%(size)s KB")) % {"size": format_decimal(round(size / 1024))}
    return str(_l("%(size)s bytes")) % {"size": format_decimal(size)}


def sniff(head: bytes) -> Kind | None:
    """The kind of file its first bytes announce, or None."""
    return next((kind for kind in KINDS if head.startswith(kind.signature)), None)


def clean_filename(filename: str | None) -> str:
    """The name a file was sent with, reduced to a safe base name (no folders, no control characters)."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in '"\\/')
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > 200:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[:190] + dot + suffix[:9]) if dot else name[:200]
    return name


def extension_of(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return suffix


class DocumentStore:
    """The folder of uploaded documents; one file per storage key, in folders of 256."""

    KEY = re.compile(r"^[0-9a-f]{32}$")

    def __init__(self, root: str | os.PathLike, max_bytes: int = DEFAULT_MAX_BYTES,
                 web_root: str | os.PathLike | None = None):
        self.root = Path(root).resolve()
        self.max_bytes = int(max_bytes)
        if web_root is not None:
            served = Path(web_root).resolve()
            if self.root == served or served in self.root.parents:
                raise RuntimeError(f"UPLOAD_DIR {self.root} is inside the web root {served}")

    @classmethod
    def from_app(cls, app) -> DocumentStore:
        """The store configured for ``app``: UPLOAD_DIR, DOCUMENT_MAX_BYTES, never under the static folder."""
        return cls(app.config["UPLOAD_DIR"], app.config.get("DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES),
                   web_root=app.static_folder)

    @property
    def limit_label(self) -> str:
        return human_size(self.max_bytes)

    def path_for(self, key: str) -> Path:
        if not self.KEY.match(key or ""):
            raise ValueError("not a storage key")
        return self.root / key[:2] / key

    def save(self, stream: BinaryIO, filename: str | None, declared_type: str | None) -> StoredFile:
        """Check the file and keep it under a new storage key; ``UploadRefused`` stores nothing."""
        name = clean_filename(filename)
        if not name:
            raise UploadRefused("missing")
        head = stream.read(CHUNK)
        if not head:
            raise UploadRefused("empty", name=name)
        while len(head) < SIGNATURE_LENGTH:
            more = stream.read(CHUNK)
            if not more:
                break
            head += more
        kind = sniff(head)
        if kind is None:
            raise UploadRefused("type", name=name)
        if extension_of(name) not in kind.extensions:
            raise UploadRefused("extension", name=name, kind=kind.label)
        declared = (declared_type or "").split(";")[0].strip().lower()
        if TYPE_ALIASES.get(declared, declared) != kind.content_type:
            raise UploadRefused("declared", name=name, kind=kind.label)
        return self._write(stream, head, name, kind)

    def _write(self, stream: BinaryIO, head: bytes, name: str, kind: Kind) -> StoredFile:
        self.root.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        descriptor, partial = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(descriptor, "wb") as out:
                chunk = head
                while chunk:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise UploadRefused("too_large", name=name, limit=self.limit_label)
                    digest.update(chunk)
                    out.write(chunk)
                    chunk = stream.read(CHUNK)
            key = secrets.token_hex(16)
            target = self.path_for(key)
            target.parent.mkdir(exist_ok=True)
            os.chmod(partial, 0o600)
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        return StoredFile(key=key, original_name=name, content_type=kind.content_type, sha256=digest.hexdigest(),
                          size=size)

    def discard(self, key: str) -> None:
        """Remove a stored file (after its record is deleted, or when its record could not be written)."""
        self.path_for(key).unlink(missing_ok=True)
