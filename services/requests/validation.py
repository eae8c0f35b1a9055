"""Validation of partner requests: the insured person and the fields of each kind.

Pure domain (no nameko, no database): the service calls :func:`validate_request`
before storing a request. The fields themselves (``INSURED_FIELDS``, ``KIND_FIELDS``)
are described in ``catalogue``; this module applies them.

Rules (see DOMAIN.md, "Requests"):

- The insured person is identified by civility, last name, first name, birth
  date and department of residence, never by NIR. A NIR found in ANY string
  field (free text, names, even a choice) refuses that field with
  :data:`NIR_MESSAGE` (the detector is ``nir.find_nir``): a NIR may only appear
  inside an attached document.
- Free text is trimmed, stripped of control and invisible characters (newlines
  and tabs are kept), and limited to ``catalogue.FREE_TEXT_MAX`` characters. It
  must carry no health data (``catalogue.HEALTH_DATA_REMINDER`` is shown under
  each free-text field; this cannot be checked mechanically). HTML is not
  stripped: the text is stored as typed and escaped when displayed.
- Every problem is reported at once: one :class:`ValidationFailed` whose
  ``fields`` maps the field name (``insured.<field>`` for the insured person)
  to a French message. Wrong types never raise anything else.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from functools import partial

from contracts.civilities import normalise_civility
from contracts.departments import normalise_department
from contracts.errors import ValidationFailed
from services.requests.catalogue import FREE_TEXT_MAX, KIND_FIELDS, MAX_AGE_YEARS, NAME_MAX
from contracts import nir, text
from contracts.nir import find_nir

BIRTH_DATE_MIN = date(1900, 1, 1)
# Strings longer than this are refused as too long without being read further.
_HARD_LIMIT = 100_000
_MULTICHOICE_MAX_ITEMS = 50

# --- messages ---------------------------------------------------------------

NIR_MESSAGE = nir.MESSAGE
UNKNOWN_FIELD = "Champ inconnu."
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


# --- cleaning helpers (each returns (clean value, error message or None)) ---------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2010": "-", "\u2011": "-"})


def _text(value, *, required: bool, max_length: int, multiline: bool):
    if value is None:
        value = ""
    if not isinstance(value, str):
        return None, NOT_TEXT
    if len(value) > _HARD_LIMIT:
        return None, too_long(max_length)
    value = text.clean(value, multiline)
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
        civility = normalise_civility(value)
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
    "birth_date" (ISO string), "department" (a ``contracts.departments.DEPARTMENTS`` code)}.
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
