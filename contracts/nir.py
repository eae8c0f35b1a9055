"""The NIR detector: does a text hold a French social-security number?

The insured person is never identified by NIR on the portal (a NIR may only appear
inside an attached document), so every string field of a request is read by
:func:`find_nir` before it is accepted (requests' ``validation``), and so is the free text
the accounts service takes (a partner's report to its caisse, a caisse's refusal reason).
"""
import re
import unicodedata

# Separators people put between the groups of a NIR: spaces (incl. non-breaking),
# tabs, dots, dashes. Newlines and slashes are not separators.
_SEP = r"[ \t\u00a0\u2007\u202f.\-\u2010-\u2015\u2212]{1,3}"
# A group is a run of digits; the Corsican department puts a letter after a "2".
_GROUP = r"[0-9]+(?:[AB][0-9]*)?"
_CHAIN = re.compile(rf"{_GROUP}(?:{_SEP}{_GROUP})*")
_SEP_RE = re.compile(_SEP)
# sex | year | month (01-12, 20-42, 50-99) | department (not 00; 2A/2B) | commune + order
_NIR13 = re.compile(
    r"[1-478][0-9]{2}"
    r"(?:0[1-9]|1[0-2]|2[0-9]|3[0-9]|4[0-2]|[5-9][0-9])"
    r"(?:0[1-9]|[1-9][0-9]|2[AB])"
    r"[0-9]{6}"
)
MESSAGE = ("Ne saisissez jamais de numéro de sécurité sociale (NIR) : "
           "il ne peut figurer que dans une pièce jointe.")
_CORSICA = {"2A": "19", "2B": "18"}


def nir_key(first13: str) -> int:
    """The control key of a 13-character NIR: ``97 - (number mod 97)``, where
    Corsica's "2A" counts as 19 and "2B" as 18 (the official rule)."""
    digits = first13[:5] + _CORSICA.get(first13[5:7], first13[5:7]) + first13[7:]
    return 97 - int(digits) % 97


def _nir_shaped(candidate: str) -> bool:
    return _NIR13.fullmatch(candidate) is not None


def _valid_nir15(candidate: str) -> bool:
    first13, key = candidate[:13], candidate[13:]
    return _nir_shaped(first13) and key.isdigit() and int(key) == nir_key(first13)


def _prepare(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)           # full-width digits, etc.
    # Invisible characters are dropped (they could hide a NIR); line breaks stay and end a chain.
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc") or ch in "\t\n\r")
    return text.upper()                                  # "2a" / "2b"


def find_nir(text: str) -> bool:
    """True when ``text`` contains a French social-security number (NIR).

    A NIR has 13 characters: sex (1, 2, 3, 4, 7 or 8), year (2 digits), month
    (01-12, or 20-42 / 50-99 when the month is unknown or the number temporary),
    department (2 characters, "2A"/"2B" for Corsica; not "00"), commune and order
    number (6 digits); then usually a 2-digit key = 97 - (number mod 97), with
    "2A" counted as 19 and "2B" as 18.

    The text is read as chains of digit groups joined by at most three spaces,
    dots or dashes ("1 85 05 78 006 084 91", "1.85.05.78.006.084-91",
    "185057800608491"); zero-width and other invisible characters are ignored
    and full-width digits count. Inside a chain, every run of whole consecutive
    groups (a group is never cut) is a candidate:

    - 15 characters: a NIR when the first 13 are NIR-shaped AND the key is valid
      (a wrong key reads as an ordinary number);
    - 13 characters: a NIR when NIR-shaped, unless the next group has exactly
      2 digits (then it is read as a 15-character number with its key, above).

    So phone numbers (10 digits), dates, amounts, SIRET (14) and short references
    never match, nor does a longer unbroken run of digits (an IBAN, a barcode).
    """
    if not isinstance(text, str):
        return False
    for chain in _CHAIN.finditer(_prepare(text)):
        groups = _SEP_RE.split(chain.group())
        if sum(len(g) for g in groups) < 13:
            continue
        for start in range(len(groups)):
            total = 0
            for end in range(start, len(groups)):
                total += len(groups[end])
                if total > 15:
                    break
                if total == 13:
                    following = groups[end + 1] if end + 1 < len(groups) else ""
                    keyed = len(following) == 2 and following.isdigit()
                    if not keyed and _nir_shaped("".join(groups[start:end + 1])):
                        return True
                elif total == 15 and _valid_nir15("".join(groups[start:end + 1])):
                    return True
    return False
