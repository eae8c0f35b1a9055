"""Attachments that can be read (issue 15, point 6): real files crafted with pypdf and Pillow go through
``attachments.accept`` with the real clamd; each refusal says why, on the file field, and stores nothing."""
import io
import struct
import zlib

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from contracts.errors import UnreadableAttachment
from services.requests.attachments import accept
from services.requests.tests.test_attachments import JPEG, PDF, PNG, build_png, refused

pytestmark = pytest.mark.integration


def pdf_with_pages(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf(user_password: str, owner_password: str = "proprietaire") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_pages(1))))
    writer.encrypt(user_password, owner_password=owner_password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def unreadable(name, data, scanner, store) -> str:
    message = refused(name, data, scanner, store, error=UnreadableAttachment)
    assert message.startswith(f"Le fichier « {name} » ne peut pas être lu : ")
    return message


def test_a_pdf_that_needs_a_password_is_refused(scanner, store):
    data = encrypted_pdf("secret")
    assert PdfReader(io.BytesIO(data)).is_encrypted
    assert "protégé par un mot de passe" in unreadable("avis.pdf", data, scanner, store)


def test_a_pdf_with_an_owner_password_only_opens_for_anyone_and_is_accepted(scanner, store):
    data = encrypted_pdf("")
    assert PdfReader(io.BytesIO(data)).is_encrypted
    assert accept("releve.pdf", data, scanner, store)["content_type"] == "application/pdf"


def test_a_pdf_without_any_page_is_refused(scanner, store):
    data = pdf_with_pages(0)
    assert len(PdfReader(io.BytesIO(data)).pages) == 0
    assert unreadable("vide.pdf", data, scanner, store).endswith("ce PDF ne contient aucune page.")


@pytest.mark.parametrize("keep", [0.5, 0.2])
def test_a_truncated_pdf_is_refused(scanner, store, keep):
    whole = pdf_with_pages(2)
    assert "endommagé ou incomplet" in unreadable("coupe.pdf", whole[:int(len(whole) * keep)], scanner, store)


def test_a_tiny_image_is_refused_with_its_size_and_the_minimum(scanner, store):
    message = unreadable("photo.png", build_png(10, 10), scanner, store)
    assert message.endswith("l'image est trop petite (10 × 10 pixels ; au moins 200 × 200 pour que le document "
                            "soit lisible).")
    assert "199 × 400" in unreadable("bande.png", build_png(199, 400), scanner, store)


def test_the_minimum_size_is_a_setting(scanner, store, monkeypatch):
    monkeypatch.setenv("EP_ATTACHMENT_MIN_PIXELS", "300x300")
    assert "au moins 300 × 300" in unreadable("photo.png", PNG, scanner, store)


def test_a_corrupt_or_truncated_jpeg_is_refused(scanner, store):
    out = io.BytesIO()
    Image.effect_noise((400, 400), 60).convert("RGB").save(out, "JPEG", quality=90)
    truncated = out.getvalue()[:len(out.getvalue()) // 2]
    assert "endommagée ou incomplète" in unreadable("carte.jpg", truncated, scanner, store)
    garbage = out.getvalue()[:20] + b"\x00" * 2000
    assert "endommagée ou incomplète" in unreadable("scan.jpg", garbage, scanner, store)


def test_good_files_are_accepted(scanner, store):
    assert accept("attestation.pdf", PDF, scanner, store)["content_type"] == "application/pdf"
    assert accept("deux-pages.pdf", pdf_with_pages(2), scanner, store)["content_type"] == "application/pdf"
    assert accept("photo.png", PNG, scanner, store)["content_type"] == "image/png"
    assert accept("photo.jpg", JPEG, scanner, store)["content_type"] == "image/jpeg"


def test_a_huge_image_is_refused_without_being_decoded(scanner, store):
    """8000 × 8000 pixels announced by a PNG of a few bytes (a decompression bomb): refused from its header."""
    header = struct.pack(">IIBBBBB", 8000, 8000, 8, 2, 0, 0, 0)
    bomb = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
            + chunk(b"IEND", b""))
    assert "l'image est trop grande (8000 × 8000 pixels)" in unreadable("bombe.png", bomb, scanner, store)


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
