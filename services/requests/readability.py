"""Is an attached file of an accepted type readable by the agent who opens it? (issue 15, point 6)

After the type is judged by its content (``attachments.sniff``) and before the antivirus:
- a PDF must open without a password (an owner password alone, which any reader opens, is fine),
  parse (pypdf) and have at least one page;
- an image must decode whole (Pillow: a truncated or corrupt file is refused) and measure at least
  EP_ATTACHMENT_MIN_PIXELS (200x200 by default): a smaller scan or photo cannot be read.

Each refusal is an ``UnreadableAttachment`` whose French message, on the ``attachment`` field, says
why and what to do. The parsers read untrusted bytes: any exception they raise means « cannot be
read », never a crash of the service.
"""
import io
import logging
import warnings

from PIL import Image
from pypdf import PdfReader

from contracts.errors import UnreadableAttachment
from services.requests import settings

# pypdf reports each repaired defect on its logger; the refusal says enough.
logging.getLogger("pypdf").setLevel(logging.ERROR)

# A bigger image would be a decompression bomb, not a scan (A4 at 600 dpi is about 35 million pixels).
MAX_IMAGE_PIXELS = 60_000_000


def _refuse(shown: str, why: str):
    message = f"Le fichier « {shown} » ne peut pas être lu : {why}"
    raise UnreadableAttachment(message, {"attachment": message})


def check(shown: str, content_type: str, data: bytes) -> None:
    """Refuses (``UnreadableAttachment``) a file of ``content_type`` that cannot be read usefully."""
    if content_type == "application/pdf":
        _check_pdf(shown, data)
    elif content_type.startswith("image/"):
        _check_image(shown, data)


def _check_pdf(shown: str, data: bytes) -> None:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            _refuse(shown, "il est protégé par un mot de passe. Enregistrez-le sans protection puis "
                           "joignez-le de nouveau.")
        pages = len(reader.pages)
    except UnreadableAttachment:
        raise
    except Exception:   # noqa: BLE001 - whatever a malformed PDF makes the parser raise
        _refuse(shown, "ce PDF est endommagé ou incomplet. Enregistrez-le ou numérisez-le de nouveau.")
    if pages == 0:
        _refuse(shown, "ce PDF ne contient aucune page.")


def _check_image(shown: str, data: bytes) -> None:
    low_width, low_height = settings.image_min_pixels()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    _refuse(shown, f"l'image est trop grande ({width} × {height} pixels).")
                image.load()            # decodes every pixel: a truncated or corrupt image fails here
    except UnreadableAttachment:
        raise
    except Exception:   # noqa: BLE001 - whatever a corrupt image makes the decoder raise
        _refuse(shown, "l'image est endommagée ou incomplète. Enregistrez-la ou photographiez le document de "
                       "nouveau.")
    if width < low_width or height < low_height:
        _refuse(shown, f"l'image est trop petite ({width} × {height} pixels ; au moins {low_width} × "
                       f"{low_height} pour que le document soit lisible).")
