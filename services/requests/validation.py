"""Validation of partner requests: the insured person and the fields of each kind.

Pure domain (no nameko, no database): the service calls :func:`validate_request`
before storing a request; the web can build its forms from :data:`KIND_FIELDS`
and :data:`INSURED_FIELDS` (plain, JSON-friendly dicts) and show the choices'
French labels.

Rules (see DOMAIN.md, "Requests"):

- The insured person is identified by civility, last name, first name, birth
  date and department of residence, never by NIR. A NIR found in ANY string
  field (free text, names, even a choice) refuses that field with
  :data:`NIR_MESSAGE`: a NIR may only appear inside an attached document.
- Free text is trimmed, stripped of control and invisible characters (newlines
  and tabs are kept), and limited to :data:`FREE_TEXT_MAX` characters. It must
  carry no health data (:data:`HEALTH_DATA_REMINDER` is shown under each
  free-text field; this cannot be checked mechanically). HTML is not stripped:
  the text is stored as typed and escaped when displayed.
- Every problem is reported at once: one :class:`ValidationFailed` whose
  ``fields`` maps the field name (``insured.<field>`` for the insured person)
  to a French message. Wrong types never raise anything else.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from functools import partial

from contracts.errors import ValidationFailed

FREE_TEXT_MAX = 2000
SHORT_TEXT_MAX = 120
NAME_MAX = 80
BIRTH_DATE_MIN = date(1900, 1, 1)
MAX_AGE_YEARS = 125
AME_FILED_MAX_AGE_YEARS = 2
# Strings longer than this are refused as too long without being read further.
_HARD_LIMIT = 100_000
_MULTICHOICE_MAX_ITEMS = 50

# --- messages ---------------------------------------------------------------

NIR_MESSAGE = ("Ne saisissez jamais de numéro de sécurité sociale (NIR) : "
               "il ne peut figurer que dans une pièce jointe.")
UNKNOWN_FIELD = "Champ inconnu."
HEALTH_DATA_REMINDER = ("N'indiquez aucune donnée de santé (maladie, traitement, handicap…) : "
                        "seulement les informations nécessaires au traitement de la demande.")
MISSING = "Ce champ est obligatoire."
NOT_TEXT = "Valeur invalide : un texte est attendu."
BAD_CHOICE = "Choisissez une valeur proposée dans la liste."
AT_LEAST_ONE = "Choisissez au moins une option."
BAD_DATE = "Date invalide : utilisez le format AAAA-MM-JJ."
BAD_CIVILITY = "Choisissez « M. » ou « Mme »."
BAD_NAME = "Utilisez uniquement des lettres, des espaces, des apostrophes et des traits d'union."
BAD_DEPARTMENT = "Département inconnu : saisissez un code comme 01, 2A, 75 ou 974."
BIRTH_DATE_FUTURE = "La date de naissance ne peut pas être dans le futur."
FILED_ON_FUTURE = "La date de dépôt ne peut pas être dans le futur."
FILED_ON_TOO_OLD = "Le dossier doit avoir été déposé il y a moins de 2 ans."
CONSENT_REQUIRED = "Le signalement nécessite le consentement de la personne."
UNKNOWN_KIND = "Type de demande inconnu."


def too_long(max_length: int) -> str:
    return f"{max_length} caractères au maximum."


def birth_date_too_old(floor: date) -> str:
    return f"La date de naissance ne peut pas être antérieure au {floor:%d/%m/%Y}."


# --- NIR detection ------------------------------------------------------------

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


# --- the insured person -------------------------------------------------------

CIVILITIES = {"M.": "Monsieur", "Mme": "Madame"}
_CIVILITY_ALIASES = {"m.": "M.", "m": "M.", "mme": "Mme", "mme.": "Mme"}

DEPARTMENTS = {
    "01": "Ain", "02": "Aisne", "03": "Allier", "04": "Alpes-de-Haute-Provence",
    "05": "Hautes-Alpes", "06": "Alpes-Maritimes", "07": "Ardèche", "08": "Ardennes",
    "09": "Ariège", "10": "Aube", "11": "Aude", "12": "Aveyron", "13": "Bouches-du-Rhône",
    "14": "Calvados", "15": "Cantal", "16": "Charente", "17": "Charente-Maritime",
    "18": "Cher", "19": "Corrèze", "2A": "Corse-du-Sud", "2B": "Haute-Corse",
    "21": "Côte-d'Or", "22": "Côtes-d'Armor", "23": "Creuse", "24": "Dordogne",
    "25": "Doubs", "26": "Drôme", "27": "Eure", "28": "Eure-et-Loir", "29": "Finistère",
    "30": "Gard", "31": "Haute-Garonne", "32": "Gers", "33": "Gironde", "34": "Hérault",
    "35": "Ille-et-Vilaine", "36": "Indre", "37": "Indre-et-Loire", "38": "Isère",
    "39": "Jura", "40": "Landes", "41": "Loir-et-Cher", "42": "Loire", "43": "Haute-Loire",
    "44": "Loire-Atlantique", "45": "Loiret", "46": "Lot", "47": "Lot-et-Garonne",
    "48": "Lozère", "49": "Maine-et-Loire", "50": "Manche", "51": "Marne",
    "52": "Haute-Marne", "53": "Mayenne", "54": "Meurthe-et-Moselle", "55": "Meuse",
    "56": "Morbihan", "57": "Moselle", "58": "Nièvre", "59": "Nord", "60": "Oise",
    "61": "Orne", "62": "Pas-de-Calais", "63": "Puy-de-Dôme", "64": "Pyrénées-Atlantiques",
    "65": "Hautes-Pyrénées", "66": "Pyrénées-Orientales", "67": "Bas-Rhin", "68": "Haut-Rhin",
    "69": "Rhône", "70": "Haute-Saône", "71": "Saône-et-Loire", "72": "Sarthe",
    "73": "Savoie", "74": "Haute-Savoie", "75": "Paris", "76": "Seine-Maritime",
    "77": "Seine-et-Marne", "78": "Yvelines", "79": "Deux-Sèvres", "80": "Somme",
    "81": "Tarn", "82": "Tarn-et-Garonne", "83": "Var", "84": "Vaucluse", "85": "Vendée",
    "86": "Vienne", "87": "Haute-Vienne", "88": "Vosges", "89": "Yonne",
    "90": "Territoire de Belfort", "91": "Essonne", "92": "Hauts-de-Seine",
    "93": "Seine-Saint-Denis", "94": "Val-de-Marne", "95": "Val-d'Oise",
    "971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion",
    "976": "Mayotte",
}


def _field(name, label, type, *, required=False, choices=None, max_length=None, only_if=None,
           help=None, max_age_years=None) -> dict:
    """One form field, JSON-friendly. ``only_if`` = {"field", "value"}: the field exists
    (and ``required`` applies) only when that other field has that value."""
    return {"name": name, "label": label, "type": type, "required": required, "choices": choices,
            "max_length": max_length, "only_if": only_if, "help": help, "max_age_years": max_age_years}


INSURED_FIELDS = [
    _field("civility", "Civilité", "choice", required=True, choices=CIVILITIES),
    _field("last_name", "Nom", "text", required=True, max_length=NAME_MAX),
    _field("first_name", "Prénom", "text", required=True, max_length=NAME_MAX),
    _field("birth_date", "Date de naissance", "date", required=True, max_age_years=MAX_AGE_YEARS),
    _field("department", "Département de résidence", "choice", required=True, choices=DEPARTMENTS),
]


# --- cleaning helpers (each returns (clean value, error message or None)) ---------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2010": "-", "\u2011": "-"})


def _keep(ch: str) -> bool:
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs"):
        return ch in "\n\t"
    if category == "Cf":
        return ch == "\u200d"                      # zero-width joiner: emoji sequences
    return True


def _clean(value: str, multiline: bool) -> str:
    value = "".join(ch for ch in value if _keep(ch) or ch == "\r")
    value = unicodedata.normalize("NFC", value)
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    if multiline:
        return value.strip()
    return " ".join(value.split())


def _text(value, *, required: bool, max_length: int, multiline: bool):
    if value is None:
        value = ""
    if not isinstance(value, str):
        return None, NOT_TEXT
    if len(value) > _HARD_LIMIT:
        return None, too_long(max_length)
    value = _clean(value, multiline)
    if find_nir(value):
        return None, NIR_MESSAGE
    if not value:
        return ("", MISSING) if required else ("", None)
    if len(value) > max_length:
        return None, too_long(max_length)
    return value, None


def _refused_string(value: str, default: str) -> str:
    """The message for a string that is not an accepted value: the NIR rule first."""
    return NIR_MESSAGE if len(value) <= _HARD_LIMIT and find_nir(value) else default


def _choice(value, choices: dict, *, required: bool, bad: str = BAD_CHOICE):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, (MISSING if required else None)
    if not isinstance(value, str):
        return None, bad
    code = value.strip()
    if code in choices:
        return code, None
    return None, _refused_string(value, bad)


def _multichoice(value, choices: dict, *, required: bool):
    if isinstance(value, str):
        value = [value] if value.strip() else []
    if value is None:
        value = []
    if not isinstance(value, (list, tuple)) or len(value) > _MULTICHOICE_MAX_ITEMS:
        return None, BAD_CHOICE
    picked = set()
    for item in value:
        if not isinstance(item, str):
            return None, BAD_CHOICE
        if item.strip() not in choices:
            return None, _refused_string(item, BAD_CHOICE)
        picked.add(item.strip())
    if not picked:
        return [], (AT_LEAST_ONE if required else None)
    return [code for code in choices if code in picked], None


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(value, *, required: bool):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, (MISSING if required else None)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value, None
    if not isinstance(value, str):
        return None, BAD_DATE
    text = value.strip()
    if not _ISO_DATE.fullmatch(text):
        return None, _refused_string(value, BAD_DATE)
    try:
        return date.fromisoformat(text), None
    except ValueError:                              # 2024-02-30
        return None, BAD_DATE


_TRUE_STRINGS = {"true", "on", "1", "oui", "y", "yes"}


def _bool(value) -> bool:
    """True only for ``True`` or a checkbox's usual "checked" strings."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in _TRUE_STRINGS


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:                              # 29 February
        return day.replace(year=day.year - years, day=28)


def _name(value):
    if isinstance(value, str):
        value = value.translate(_APOSTROPHES)
    name, error = _text(value, required=True, max_length=NAME_MAX, multiline=False)
    if error:
        return None, error
    if not (name[0].isalpha() and name[-1].isalpha() and all(ch.isalpha() or ch in " '-" for ch in name)):
        return None, BAD_NAME
    return name, None


def normalise_department(value) -> str | None:
    """The department code as in :data:`DEPARTMENTS` ("1" -> "01", "2a" -> "2A"), or None."""
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    if len(code) == 1 and code in "0123456789":
        code = "0" + code
    return code if code in DEPARTMENTS else None


def _department(value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, MISSING
    code = normalise_department(value)
    if code:
        return code, None
    return None, (_refused_string(value, BAD_DEPARTMENT) if isinstance(value, str) else BAD_DEPARTMENT)


def _civility(value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, MISSING
    if isinstance(value, str):
        civility = _CIVILITY_ALIASES.get(value.strip().lower())
        if civility:
            return civility, None
        return None, _refused_string(value, BAD_CIVILITY)
    return None, BAD_CIVILITY


def birth_date_floor(today: date) -> date:
    """The oldest accepted birth date: not before 1900, nor more than 125 years ago."""
    return max(BIRTH_DATE_MIN, _years_before(today, MAX_AGE_YEARS))


def _birth_date(value, today: date):
    day, error = _date(value, required=True)
    if error:
        return None, error
    if day > today:
        return None, BIRTH_DATE_FUTURE
    floor = birth_date_floor(today)
    if day < floor:
        return None, birth_date_too_old(floor)
    return day.isoformat(), None


def _insured_checks(today: date) -> dict:
    return {"civility": _civility, "last_name": _name, "first_name": _name,
            "birth_date": lambda value: _birth_date(value, today), "department": _department}


def _check_insured(data, today: date) -> tuple[dict, dict]:
    if not isinstance(data, dict):
        data = {}
    checks = {name: check(data.get(name)) for name, check in _insured_checks(today).items()}
    clean = {name: value for name, (value, error) in checks.items() if not error}
    errors = {name: error for name, (value, error) in checks.items() if error}
    return clean, errors


def validate_insured(data: dict, *, today: date | None = None) -> dict:
    """The insured person, cleaned: {"civility", "last_name", "first_name",
    "birth_date" (ISO string), "department" (a :data:`DEPARTMENTS` code)}.
    Raises ValidationFailed with one French message per bad field."""
    clean, errors = _check_insured(data, today or date.today())
    if errors:
        raise ValidationFailed(None, errors)
    return clean


def validate_free_text(value, field: str = "text", *, required: bool = False,
                       max_length: int = FREE_TEXT_MAX) -> str:
    """One free-text value (e.g. a message added to a request later), cleaned as in the forms."""
    clean, error = _text(value, required=required, max_length=max_length, multiline=True)
    if error:
        raise ValidationFailed(None, {field: error})
    return clean


# --- the request kinds ----------------------------------------------------------

CONTACT_SUBJECTS = {
    "droits": "Ouverture ou maintien des droits",
    "remboursements": "Remboursements",
    "carte_vitale": "Carte Vitale",
    "courrier": "Courrier reçu de la caisse",
    "autre": "Autre",
}
DOSSIER_TYPES = {
    "puma": "Protection universelle maladie (PUMa)",
    "c2s": "Complémentaire santé solidaire (C2S)",
    "ame": "Aide médicale de l'État (AME)",
    "autre": "Autre",
}
DIFFICULTIES = {
    "acces_droits": "Difficulté d'accès aux droits",
    "acces_soins": "Difficulté d'accès aux soins",
    "renoncement": "Renoncement aux soins",
    "autre": "Autre",
}
APPOINTMENT_REASONS = {
    "droits": "Ouverture ou maintien des droits",
    "dossier": "Suivi d'un dossier en cours",
    "carte_vitale": "Carte Vitale",
    "autre": "Autre",
}
WEEKDAYS = {"lundi": "Lundi", "mardi": "Mardi", "mercredi": "Mercredi", "jeudi": "Jeudi",
            "vendredi": "Vendredi"}
DAY_TIMES = {"matin": "Le matin", "apres_midi": "L'après-midi"}
CHANNELS = {
    "accueil": "À l'accueil de la caisse",
    "telephone": "Par téléphone",
    "visio": "En visioconférence",
}
DOCUMENT_TYPES = {
    "attestation_droits": "Attestation de droits",
    "ceam_provisoire": "Certificat provisoire de remplacement de la carte européenne (CEAM)",
    "vitale_perte_vol": "Formulaire de déclaration de perte ou vol de la carte Vitale",
    "prevention": "Offre de prévention",
    "autre": "Autre document",
}
PREVENTION_OFFERS = {
    "vaccination": "Bon de vaccination",
    "depistage": "Bon de dépistage",
    "mt_dents": "M'T dents",
    "examen_sante": "Invitation à l'examen de prévention en santé",
}


def _comment():
    return _field("comment", "Commentaire", "textarea", max_length=FREE_TEXT_MAX, help=HEALTH_DATA_REMINDER)


KIND_FIELDS = {
    "contact_caisse": [
        _field("subject", "Objet de la demande", "choice", required=True, choices=CONTACT_SUBJECTS),
        _field("message", "Votre message", "textarea", required=True, max_length=FREE_TEXT_MAX,
               help=HEALTH_DATA_REMINDER),
    ],
    "etude_dossier": [
        _field("dossier_type", "Type de dossier", "choice", required=True, choices=DOSSIER_TYPES),
        _field("dossier_other", "Précisez le type de dossier", "text", required=True,
               max_length=SHORT_TEXT_MAX, only_if={"field": "dossier_type", "value": "autre"}),
        _comment(),
    ],
    "suivi_ame": [
        _field("filed_on", "Date de dépôt du dossier AME", "date", required=True,
               max_age_years=AME_FILED_MAX_AGE_YEARS),
        _comment(),
    ],
    "signalement": [
        _field("difficulty", "Nature de la difficulté", "choice", required=True, choices=DIFFICULTIES),
        _field("description", "Description de la situation", "textarea", required=True,
               max_length=FREE_TEXT_MAX, help=HEALTH_DATA_REMINDER),
        _field("consent", "La personne a donné son consentement à ce signalement", "bool", required=True),
    ],
    "rendez_vous": [
        _field("reason", "Motif du rendez-vous", "choice", required=True, choices=APPOINTMENT_REASONS),
        _field("preferred_days", "Jours souhaités", "multichoice", required=True, choices=WEEKDAYS),
        _field("preferred_times", "Moments de la journée souhaités", "multichoice", required=True,
               choices=DAY_TIMES),
        _field("channel", "Modalité du rendez-vous", "choice", required=True, choices=CHANNELS),
        _comment(),
    ],
    "document": [
        _field("document_type", "Document demandé", "choice", required=True, choices=DOCUMENT_TYPES),
        _field("prevention_offer", "Offre de prévention", "choice", required=True, choices=PREVENTION_OFFERS,
               only_if={"field": "document_type", "value": "prevention"}),
        _comment(),
    ],
}

# A required "bool" must be true; its message says why.
_REQUIRED_TRUE_MESSAGES = {"consent": CONSENT_REQUIRED}
_DATE_FUTURE_MESSAGES = {"filed_on": FILED_ON_FUTURE}
_DATE_TOO_OLD_MESSAGES = {"filed_on": FILED_ON_TOO_OLD}


def _check_field(spec: dict, value, today: date):
    kind, required = spec["type"], spec["required"]
    if kind == "choice":
        return _choice(value, spec["choices"], required=required)
    if kind == "multichoice":
        return _multichoice(value, spec["choices"], required=required)
    if kind in ("text", "textarea"):
        return _text(value, required=required, max_length=spec["max_length"], multiline=kind == "textarea")
    if kind == "bool":
        checked = _bool(value)
        if required and not checked:
            return None, _REQUIRED_TRUE_MESSAGES.get(spec["name"], MISSING)
        return checked, None
    if kind == "date":
        day, error = _date(value, required=required)
        if error or day is None:
            return None, error
        if day > today:
            return None, _DATE_FUTURE_MESSAGES.get(spec["name"], "La date ne peut pas être dans le futur.")
        if spec["max_age_years"] and day < _years_before(today, spec["max_age_years"]):
            return None, _DATE_TOO_OLD_MESSAGES.get(
                spec["name"], f"La date doit dater de moins de {spec['max_age_years']} ans.")
        return day.isoformat(), None
    raise AssertionError(f"unknown field type {kind!r}")   # a programming error in KIND_FIELDS


def _check_details(kind: str, data, today: date) -> tuple[dict, dict]:
    if not isinstance(data, dict):
        data = {}
    clean, errors = {}, {}
    for spec in KIND_FIELDS[kind]:
        condition = spec["only_if"]
        if condition and clean.get(condition["field"]) != condition["value"]:
            continue                                 # not applicable: dropped, never stored
        value, error = _check_field(spec, data.get(spec["name"]), today)
        if error:
            errors[spec["name"]] = error
        else:
            clean[spec["name"]] = value
    return clean, errors


def validate_request(kind: str, data: dict, today: date | None = None) -> dict:
    """A request of ``kind`` (see :data:`KIND_FIELDS`), cleaned:
    ``{"insured": {...}, "details": {...}}``. ``data["insured"]`` holds the five
    identification fields; the kind's fields are at the top level of ``data``.
    Unknown keys are ignored (and not returned). A field that does not apply
    (``only_if``) is dropped. Raises one ValidationFailed with every field error
    (``insured.<field>`` for the insured person)."""
    if not isinstance(kind, str) or kind not in KIND_FIELDS:
        raise ValidationFailed(None, {"kind": UNKNOWN_KIND})
    today = today or date.today()
    if not isinstance(data, dict):
        data = {}
    insured, insured_errors = _check_insured(data.get("insured"), today)
    details, detail_errors = _check_details(kind, data, today)
    errors = {f"insured.{name}": message for name, message in insured_errors.items()}
    errors.update(detail_errors)
    if errors:
        raise ValidationFailed(None, errors)
    return {"insured": insured, "details": details}


def field_problem(kind, name, value, *, today: date | None = None) -> str | None:
    """The message one field would get on submission, or None: the screens check a field
    as it is typed (NIR, lengths, dates, names) with the very rules of the submission.
    ``insured.<field>`` for the person; ``message`` with no kind for an action's message."""
    today = today or date.today()
    check = None
    if isinstance(name, str) and name.startswith("insured."):
        check = _insured_checks(today).get(name.removeprefix("insured."))
    elif name == "message" and not kind:
        check = partial(_text, required=False, max_length=FREE_TEXT_MAX, multiline=True)
    elif isinstance(kind, str) and kind in KIND_FIELDS:
        spec = next((s for s in KIND_FIELDS[kind] if s["name"] == name), None)
        check = spec and (lambda v: _check_field(spec, v, today))
    if check is None:
        raise ValidationFailed(None, {"field": UNKNOWN_FIELD})
    return check(value)[1]


def catalogue() -> dict:
    """What the web needs to build the forms (it may not import this module)."""
    return {"insured_fields": INSURED_FIELDS, "kind_fields": KIND_FIELDS, "departments": DEPARTMENTS,
            "health_data_reminder": HEALTH_DATA_REMINDER, "free_text_max": FREE_TEXT_MAX}
