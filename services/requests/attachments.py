"""Attachments of a request: what is accepted, and in which order.

``accept`` checks the file (not empty, not too big, really a PDF, JPEG or PNG
judged by its content, never by its name, readable: ``readability``), has it scanned by the antivirus,
and only then stores it. A refused file never reaches the store; when the
antivirus cannot answer, the file is refused too (fail closed).

Pure domain: the scanner and the store are passed in (see ``scanning`` and
``storage`` for the real ones and their nameko dependency providers).

The size limit per file is EP_ATTACHMENT_MAX_BYTES (see ``settings``).
"""
import hashlib
import logging
import re
import unicodedata

from contracts.errors import RuleViolation, ValidationFailed
from contracts.nir import find_nir

from services.requests import readability, settings
from services.requests.scanning import ScannerUnavailable

log = logging.getLogger(__name__)

MAX_BYTES = settings.attachment_max_bytes()
MAX_FILES_PER_REQUEST = 10
MAX_FILENAME_LENGTH = 120
DEFAULT_STEM = "piece-jointe"

# (magic bytes at offset 0, MIME type)
_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
ALLOWED_TYPES = tuple(mime for _, mime in _MAGIC)
EXTENSIONS = {   # MIME type -> (extension written, extensions kept as they are)
    "application/pdf": (".pdf", {".pdf"}),
    "image/jpeg": (".jpg", {".jpg", ".jpeg"}),
    "image/png": (".png", {".png"}),
}
_UNSAFE_CHARS = re.compile(r'[<>:"/\\|?*]')
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}$")


def sniff(data: bytes) -> str | None:
    """The MIME type read from the content's first bytes (PDF, JPEG, PNG), else None."""
    for magic, mime in _MAGIC:
        if data[:len(magic)] == magic:
            return mime
    return None


def safe_filename(name, content_type: str | None = None) -> str:
    """A name fit for display and for a download header: no folders, no control
    or direction-changing characters, at most 120 characters, and, when the
    sniffed ``content_type`` is given, the extension of that type (kept when it
    already matches, replaced when it is another one, appended when missing). A name
    holding a NIR becomes the default one: a NIR may be inside the file, never around it."""
    name = unicodedata.normalize("NFC", name if isinstance(name, str) else "")
    name = re.split(r"[/\\]", name)[-1]                       # C:\fakepath\x.pdf, ../../x.pdf
    name = "".join(c for c in name if not unicodedata.category(c).startswith("C"))
    name = _UNSAFE_CHARS.sub("_", name)
    name = " ".join(name.split()).strip(" .")                 # no hidden ".x", no trailing dots
    stem, ext = name, ""
    match = _EXTENSION.search(name)
    if match:
        stem, ext = name[:match.start()], match.group()
    if content_type in EXTENSIONS:
        written, kept = EXTENSIONS[content_type]
        if ext.lower() in kept:
            ext = ext.lower()
        else:
            ext = written                                     # report.exe -> report.pdf
    if find_nir(stem):                 # a scan named by the insured's NIR: the other side reads its name
        stem = DEFAULT_STEM
    stem = stem.strip(" .")[:MAX_FILENAME_LENGTH - len(ext)].rstrip(" .") or DEFAULT_STEM
    return stem + ext


def _size_label(size: int) -> str:
    mo = size / (1024 * 1024)
    return f"{mo:.0f} Mo" if mo == int(mo) else f"{mo:.1f} Mo".replace(".", ",")


def _refuse(message: str):
    raise ValidationFailed(message, {"attachment": message})


def accept(filename: str, data: bytes, scanner, storage) -> dict:
    """Checks, scans, then stores one file. Returns what the request records:
    {"storage_key", "filename", "content_type", "size", "sha256"}.

    Raises ``ValidationFailed`` (field ``attachment``) for a refused file and
    ``RuleViolation`` when the antivirus is unavailable; nothing is stored then.
    """
    shown = safe_filename(filename)
    data = bytes(data or b"")
    if not data:
        _refuse(f"Le fichier « {shown} » est vide.")
    if len(data) > MAX_BYTES:
        _refuse(f"Le fichier « {shown} » dépasse la taille maximale autorisée ({_size_label(MAX_BYTES)}).")
    content_type = sniff(data)
    if content_type not in ALLOWED_TYPES:
        _refuse(f"Formats acceptés : PDF, JPEG, PNG. Le contenu du fichier « {shown} » n'en est pas un.")
    readability.check(shown, content_type, data)      # an encrypted or broken PDF, a tiny or corrupt image
    sha256 = hashlib.sha256(data).hexdigest()

    try:
        result = scanner.scan(data)
    except ScannerUnavailable as exc:
        log.error("Antivirus indisponible, pièce jointe refusée (sha256 %s) : %s", sha256, exc)
        raise RuleViolation(
            "L'analyse antivirus est momentanément indisponible : le fichier n'a pas été "
            "enregistré. Réessayez plus tard."
        ) from exc
    if not result.clean:
        log.warning("Pièce jointe infectée refusée : %s (sha256 %s)", result.signature, sha256)
        _refuse(f"Le fichier « {shown} » a été refusé par l'analyse antivirus.")

    key = storage.put(data)
    return {
        "storage_key": key,
        "filename": safe_filename(filename, content_type),
        "content_type": content_type,
        "size": len(data),
        "sha256": sha256,
    }
