"""Attachments: content sniffing, limits, the real clamd, then storage.

The antivirus is a real clamd started for the session (devtools.clamd) with
only the EICAR test signature; nothing here mocks it. Each test checks that
a refused file left the store empty.
"""
import hashlib
import io
import socket
import stat
import struct
import zlib

import pytest

from contracts.errors import RuleViolation, ValidationFailed
from devtools.clamd import EICAR
from services.requests import attachments, scanning, storage
from services.requests.attachments import accept, safe_filename, sniff
from services.requests.scanning import ClamdScanner, ScannerUnavailable, UnconfiguredScanner
from services.requests.storage import InvalidKey, LocalStorage

pytestmark = pytest.mark.integration


def build_pdf(objects: list[bytes]) -> bytes:
    """A well-formed PDF (header, numbered objects, xref table, trailer)."""
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


PAGE_OBJECTS = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
]
PDF = build_pdf(PAGE_OBJECTS)

# A PDF carrying the EICAR test file as an attachment (/EmbeddedFile stream):
# clamd extracts the stream and recognises EICAR in it.
EICAR_PDF = build_pdf([
    b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(eicar.com) 4 0 R] >> >> >>",
    PAGE_OBJECTS[1],
    PAGE_OBJECTS[2],
    b"<< /Type /Filespec /F (eicar.com) /EF << /F 5 0 R >> >>",
    b"<< /Type /EmbeddedFile /Length 68 >>\nstream\n" + EICAR + b"endstream",
])


def build_png(width: int = 200, height: int = 200) -> bytes:
    """A valid white RGB PNG, by default just as large as an attachment must be (200 × 200)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = (b"\x00" + b"\xff\xff\xff" * width) * height
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


PNG = build_png()


def build_jpeg(width: int = 240, height: int = 320) -> bytes:
    """A baseline JPEG of a photographed page, encoded by Pillow."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (250, 250, 245)).save(out, "JPEG", quality=80)
    return out.getvalue()


JPEG = build_jpeg()


def stored(store: LocalStorage) -> list:
    """Everything under the store's folder (files and shard folders)."""
    return sorted(store.root.rglob("*"))


def refused(filename, data, scanner, store, error=ValidationFailed) -> str:
    with pytest.raises(error) as caught:
        accept(filename, data, scanner, store)
    assert stored(store) == []
    if error is ValidationFailed:
        assert caught.value.fields == {"attachment": caught.value.message}
    return caught.value.message


# --- sniffing and names --------------------------------------------------------------


def test_sniff_reads_the_content_not_the_name():
    assert sniff(PDF) == "application/pdf"
    assert sniff(PNG) == "image/png"
    assert sniff(JPEG) == "image/jpeg"
    assert sniff(b"Bonjour, ceci est du texte.\n") is None
    assert sniff(b"") is None
    assert sniff(b"%PDF") is None                                   # truncated magic
    assert sniff(b"GIF89a\x01\x00\x01\x00") is None                  # an image, not accepted
    assert sniff(b"PK\x03\x04" + b"\x00" * 26) is None               # zip / docx
    assert sniff(b" %PDF-1.4") is None                               # magic must be at offset 0


def test_text_file_named_pdf_is_refused_before_the_scan(scanner, store):
    message = refused("notes.pdf", b"Ceci n'est pas un PDF.\n", scanner, store)
    assert message == "Formats acceptés : PDF, JPEG, PNG. Le contenu du fichier « notes.pdf » n'en est pas un."
    # The EICAR file itself is not an accepted format either.
    assert "Formats acceptés" in refused("eicar.pdf", EICAR, scanner, store)


@pytest.mark.parametrize("name, content_type, expected", [
    ("Relevé mars.pdf", "application/pdf", "Relevé mars.pdf"),
    ("C:\\fakepath\\ordonnance.PDF", "application/pdf", "ordonnance.pdf"),
    ("../../etc/passwd", "application/pdf", "passwd.pdf"),
    ("scan.exe", "application/pdf", "scan.pdf"),                  # wrong extension replaced
    ("photo.png", "image/jpeg", "photo.jpg"),
    ("photo.JPEG", "image/jpeg", "photo.jpeg"),                   # matching extension kept
    ("rapport 1.2", "application/pdf", "rapport 1.2.pdf"),        # no real extension: appended
    ("fac\x00ture\u202egnp.exe", "image/png", "facturegnp.png"),  # control and bidi chars removed
    ('a<b>:"c"|?*.pdf', "application/pdf", "a_b___c____.pdf"),
    ("   \t..  ", "image/png", "piece-jointe.png"),
    ("", "application/pdf", "piece-jointe.pdf"),
    (None, None, "piece-jointe"),
    ("notes.pdf", None, "notes.pdf"),
    ("attestation_185057800608491.pdf", "application/pdf", "piece-jointe.pdf"),   # the other side reads the name:
    ("Usager 1 80 01 75 123 456 60.png", "image/png", "piece-jointe.png"),        # never a NIR in it
    ("facture 2024-03 n° 0612345678.pdf", "application/pdf", "facture 2024-03 n° 0612345678.pdf"),
])
def test_safe_filename(name, content_type, expected):
    assert safe_filename(name, content_type) == expected


def test_safe_filename_is_limited_to_120_characters():
    name = safe_filename("é" * 300 + ".pdf", "application/pdf")
    assert len(name) == 120 and name.endswith("é.pdf")
    assert len(safe_filename("x" * 300)) == 120


# --- size -----------------------------------------------------------------------------


def test_empty_and_too_big_files_are_refused(scanner, store):
    assert refused("vide.pdf", b"", scanner, store) == "Le fichier « vide.pdf » est vide."
    too_big = b"%PDF-1.4\n" + b"0" * (attachments.MAX_BYTES - 8)
    assert len(too_big) == attachments.MAX_BYTES + 1
    message = refused("gros.pdf", too_big, scanner, store)
    assert message == "Le fichier « gros.pdf » dépasse la taille maximale autorisée (10 Mo)."


def test_a_file_of_exactly_the_limit_goes_through_clamd(scanner, store):
    """clamd's StreamMaxLength (20M in devtools.clamd) must cover MAX_BYTES."""
    data = PDF + b"%" * (attachments.MAX_BYTES - len(PDF))
    record = accept("limite.pdf", data, scanner, store)
    assert record["size"] == attachments.MAX_BYTES
    assert store.get(record["storage_key"]) == data


# --- the real antivirus -----------------------------------------------------------------


def test_real_clamd_answers_and_flags_eicar(clamd, scanner):
    assert scanner.ping() is True
    assert scanner.scan(PDF) == scanning.ScanResult(clean=True)
    result = scanner.scan(EICAR)
    assert result.clean is False
    assert result.signature.startswith("Eicar-Test-Signature")
    assert scanner.scan(EICAR_PDF).clean is False


def test_pdf_carrying_eicar_is_refused_and_nothing_is_stored(scanner, store):
    assert sniff(EICAR_PDF) == "application/pdf"
    message = refused("facture.pdf", EICAR_PDF, scanner, store)
    assert message == "Le fichier « facture.pdf » a été refusé par l'analyse antivirus."


def test_clean_pdf_is_scanned_stored_and_read_back(scanner, store):
    record = accept("Attestation employeur.pdf", PDF, scanner, store)
    assert record["filename"] == "Attestation employeur.pdf"
    assert record["content_type"] == "application/pdf"
    assert record["size"] == len(PDF)
    assert record["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert store.get(record["storage_key"]) == PDF
    assert [p for p in stored(store) if p.is_file()] == [store._path(record["storage_key"])]


def test_images_are_accepted_with_the_extension_of_their_content(scanner, store):
    png = accept("photo.jpeg", PNG, scanner, store)
    assert (png["content_type"], png["filename"]) == ("image/png", "photo.png")
    jpeg = accept("carte", JPEG, scanner, store)
    assert (jpeg["content_type"], jpeg["filename"]) == ("image/jpeg", "carte.jpg")
    assert store.get(png["storage_key"]) == PNG and store.get(jpeg["storage_key"]) == JPEG


def test_stream_above_clamd_limit_is_refused_with_a_clear_error(scanner):
    with pytest.raises(ScannerUnavailable, match="StreamMaxLength"):
        scanner.scan(b"%PDF-" + b"0" * (21 * 1024 * 1024))


# --- antivirus unavailable: fail closed -------------------------------------------------

UNAVAILABLE = ("L'analyse antivirus est momentanément indisponible : le fichier n'a pas été "
               "enregistré. Réessayez plus tard.")


def test_dead_clamd_socket_refuses_the_file(tmp_path, store):
    stale = tmp_path / "clamd.sock"           # a socket file nobody listens on any more (clamd crashed)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(stale))
    for dead in (ClamdScanner(socket_path=str(stale), timeout=2),
                 ClamdScanner(socket_path=str(tmp_path / "absent.sock"), timeout=2)):
        assert dead.ping() is False
        assert refused("ok.pdf", PDF, dead, store, error=RuleViolation) == UNAVAILABLE


def test_unreachable_clamd_over_tcp_refuses_the_file(store):
    with socket.socket() as sock:              # a free port, closed again: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = ClamdScanner(host="127.0.0.1", port=port, timeout=2)
    assert refused("ok.pdf", PDF, dead, store, error=RuleViolation) == UNAVAILABLE


def test_no_clamd_configured_fails_closed(monkeypatch, store):
    for name in ("EP_CLAMD_SOCKET", "EP_CLAMD_HOST", "EP_CLAMD_PORT"):
        monkeypatch.delenv(name, raising=False)
    unconfigured = scanning.from_env()
    assert isinstance(unconfigured, UnconfiguredScanner)
    assert unconfigured.ping() is False
    with pytest.raises(ScannerUnavailable):
        unconfigured.scan(PDF)
    assert refused("ok.pdf", PDF, unconfigured, store, error=RuleViolation) == UNAVAILABLE


def test_scanner_from_env(monkeypatch, clamd):
    monkeypatch.setenv("EP_CLAMD_SOCKET", clamd.socket_path)
    assert scanning.from_env().ping() is True
    monkeypatch.delenv("EP_CLAMD_SOCKET")
    monkeypatch.setenv("EP_CLAMD_HOST", "clamav.interne")
    monkeypatch.setenv("EP_CLAMD_PORT", "3311")
    remote = scanning.from_env()
    assert (remote.host, remote.port, remote.socket_path) == ("clamav.interne", 3311, None)


# --- storage ------------------------------------------------------------------------------


def test_storage_put_get_delete(store):
    key = store.put(b"contenu")
    assert len(key) == 32 and int(key, 16) >= 0
    path = store._path(key)
    assert path.parent.name == key[:2] and path.parent.parent == store.root
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.get(key) == b"contenu"
    assert [p.name for p in path.parent.iterdir()] == [key]          # no temporary file left
    assert store.put(b"contenu") != key
    store.delete(key)
    store.delete(key)                                                 # idempotent
    with pytest.raises(FileNotFoundError):
        store.get(key)


@pytest.mark.parametrize("key", [
    "../x", "../../etc/passwd", "/etc/passwd", "ab/" + "0" * 29, "0" * 31, "0" * 33,
    "A" * 32, "0" * 32 + "\n", "..", "", None, 42,
])
def test_storage_refuses_keys_it_could_not_have_made(store, key):
    with pytest.raises(InvalidKey):
        store.get(key)
    with pytest.raises(InvalidKey):
        store.delete(key)
    assert issubclass(InvalidKey, ValueError)


def test_storage_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("EP_ATTACHMENTS_DIR", str(tmp_path / "pj"))
    assert storage.from_env().root == tmp_path / "pj"
    monkeypatch.delenv("EP_ATTACHMENTS_DIR")
    monkeypatch.setenv("EP_DATA_DIR", str(tmp_path / "data"))
    assert storage.from_env().root == tmp_path / "data" / "attachments"


# --- nameko dependency providers -------------------------------------------------------


def test_dependency_providers_inject_the_configured_scanner_and_storage(monkeypatch, clamd, tmp_path):
    from nameko.containers import ServiceContainer
    from nameko.testing.services import dummy, entrypoint_hook

    monkeypatch.setenv("EP_CLAMD_SOCKET", clamd.socket_path)
    monkeypatch.setenv("EP_ATTACHMENTS_DIR", str(tmp_path / "pj"))

    class AttachmentsProbe:
        name = "attachments_probe"
        scanner = scanning.Scanner()
        storage = storage.Storage()

        @dummy
        def upload(self, filename, data):
            return accept(filename, data, self.scanner, self.storage)

    container = ServiceContainer(AttachmentsProbe, {})
    container.start()
    try:
        with entrypoint_hook(container, "upload") as upload:
            record = upload("ok.pdf", PDF)
            with pytest.raises(ValidationFailed):
                upload("facture.pdf", EICAR_PDF)
    finally:
        container.stop()
    assert LocalStorage(tmp_path / "pj").get(record["storage_key"]) == PDF
    assert [p for p in (tmp_path / "pj").rglob("*") if p.is_file()] == [
        tmp_path / "pj" / record["storage_key"][:2] / record["storage_key"]]
