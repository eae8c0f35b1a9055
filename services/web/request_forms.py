"""The request forms, built from the requests service's catalogue.

The service owns the fields of each kind (``form_catalogue``) and validates
them; the web only turns the posted form into the RPC payload and the
service's field errors back onto the fields. Field names in the HTML are the
service's own (``insured.last_name``, ``message``…), so errors map one to one.
"""
import base64

from htmx_flask import request
from werkzeug.datastructures import FileStorage, MultiDict

from contracts.dates import date_fr
from services.web.forms import iso_date
from services.web.toolkit import REFUSALS, PageForm, report_refusal, upload_timeout

INSURED_PREFIX = "insured."
FILES_FIELD = "files"
ATTACHMENT_FIELD = "attachment"       # the service's name for what is wrong with the files


def field_value(field: dict, form: MultiDict, name: str):
    """One catalogue field's value as the service expects it."""
    if field["type"] == "multichoice":
        return form.getlist(name)
    if field["type"] == "bool":
        return form.get(name) == "oui"
    value = form.get(name, "")
    return iso_date(value) if field["type"] == "date" else value


def payload(catalogue: dict, kind: str, form: MultiDict) -> dict:
    """``{"insured": {...}, <kind fields>}`` (see the service's validate_request)."""
    data = {"insured": {f["name"]: field_value(f, form, INSURED_PREFIX + f["name"])
                        for f in catalogue["insured_fields"]}}
    for f in catalogue["kind_fields"][kind]:
        data[f["name"]] = field_value(f, form, f["name"])
    return data


def field_names(catalogue: dict, kind: str) -> set[str]:
    """The names the form shows an error beside (the service's own; the rest goes above the form)."""
    return ({INSURED_PREFIX + f["name"] for f in catalogue["insured_fields"]}
            | {f["name"] for f in catalogue["kind_fields"].get(kind, [])} | {ATTACHMENT_FIELD})


def encoded_files(files: list[FileStorage]) -> list[dict]:
    """The uploaded files for the RPC call (the requests service sniffs, scans and stores them)."""
    return [{"filename": f.filename, "content_b64": base64.b64encode(f.read()).decode()}
            for f in files if f and f.filename]


def values_for_display(form: MultiDict) -> dict:
    """What the user typed, to show the form again after a refusal (lists for checkboxes)."""
    return {name: form.getlist(name) if len(form.getlist(name)) > 1 else form.get(name) for name in form}


def condition_hint(field: dict, fields: list[dict]) -> str | None:
    """"Seulement si …" for a field that applies only when another field has a value."""
    condition = field.get("only_if")
    if not condition:
        return None
    other = next((f for f in fields if f["name"] == condition["field"]), None)
    label = (other or {}).get("choices", {}).get(condition["value"], condition["value"])
    return f"À remplir seulement si vous avez choisi « {label} »."


def details_for_display(catalogue: dict, kind: str, details: dict) -> list[tuple[str, str]]:
    """[(label, value in French)] of a request's details, in the form's order."""
    shown = []
    for f in catalogue["kind_fields"].get(kind, []):
        if f["name"] not in details:
            continue
        value = details[f["name"]]
        choices = f.get("choices") or {}
        if f["type"] == "multichoice":
            value = ", ".join(choices.get(v, v) for v in value or [])
        elif f["type"] == "choice":
            value = choices.get(value, value)
        elif f["type"] == "bool":
            value = "Oui" if value else "Non"
        elif f["type"] == "date":
            value = date_fr(value)
        shown.append((f["label"], value if value not in (None, "") else "—"))
    return shown


def posted_with_one_file(form: PageForm, file_field: str, call):
    """A hand-written form with one optional file (a support screenshot, a published document): ``form`` takes
    what was typed, ``call(values, file or None, timeout)`` makes the one RPC call. -> its answer, or None with
    the service's refusal put on the form."""
    form.values = {k: request.form.get(k, "") for k in form.fields if k != ATTACHMENT_FIELD}
    files = encoded_files(request.files.getlist(file_field))
    try:
        return call(form.values, files[0] if files else None, upload_timeout() if files else None)
    except REFUSALS as exc:
        report_refusal(form, exc)
        return None
