"""What every service does to a text a person typed before keeping it: control and invisible characters out
(a line break in a one-line value would reach an email's subject or a CSV cell as typed), Unicode composed
(NFC), line breaks made one kind. One place, for every service that stores typed text."""
import unicodedata


def _keep(ch: str) -> bool:
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs"):
        return ch in "\n\t"
    if category == "Cf":
        return ch == "\u200d"                      # zero-width joiner: emoji sequences
    return True


def clean(value: str, multiline: bool = False) -> str:
    """``value`` trimmed and cleaned; one line (every run of blanks and line breaks one space) unless
    ``multiline``, where line breaks and tabs are kept."""
    value = "".join(ch for ch in value if _keep(ch) or ch == "\r")
    value = unicodedata.normalize("NFC", value)
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    if multiline:
        return value.strip()
    return " ".join(value.split())
