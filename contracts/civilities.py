"""Civilities, as the agreements' forms write them (accounts and the insured alike)."""

CIVILITIES = {"M.": "Monsieur", "Mme": "Madame"}
_ALIASES = {"m.": "M.", "m": "M.", "mme": "Mme", "mme.": "Mme"}


def normalise_civility(value) -> str | None:
    """"m" -> "M.", "MME" -> "Mme"; None when it is not a civility."""
    return _ALIASES.get(value.strip().lower()) if isinstance(value, str) else None
