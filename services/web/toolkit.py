"""What every view module shares: the profile check, the error page, the answer after a
page-level action, HTMX fragments, and the one way a service's refusal reaches the page.

A refusal on a form: ``report_refusal`` puts each field's message on its field and the rest
above the form, for a WTForms form as for a hand-written one (``PageForm``). A refusal of a
one-button action: ``refusal_message``, one sentence for a flash or the outcome line.
"""
import base64
from functools import wraps
from urllib.parse import quote

from flask import Response, current_app, flash, redirect, render_template
from flask_login import current_user, login_required
from htmx_flask import request

from contracts.errors import CapReached, InvalidCredentials, LoginThrottled, NotAuthorized, RuleViolation, ValidationFailed

# What a form or an action expects a service to refuse, and shows on the page. Any other error
# goes to the app's error pages: NotFound (out of the caller's reach) the 404 page, ReauthenticationRequired
# the « Confirmez votre identité » form.
REFUSALS = (ValidationFailed, RuleViolation, CapReached, NotAuthorized, InvalidCredentials, LoginThrottled)


def error_page(status: int, message: str, title: str | None = None):
    title = title or {403: "Accès refusé", 404: "Page introuvable"}.get(status, "Action impossible")
    return render_template("error.html", title=title, message=message), status


def profiles(*allowed):
    """Signed in (else the login page), with one of these profiles (else a friendly refusal);
    the services re-check anyway."""
    def decorator(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if current_user.profile not in allowed:
                return error_page(403, "Cette page n'est pas accessible avec votre profil.")
            return view(*args, **kwargs)
        return login_required(checked)
    return decorator


class PageForm:
    """A form the template writes by hand, with the service's field names (``fields``): what was
    typed and what is wrong, in the shape of a WTForms form's errors."""

    def __init__(self, fields=(), values=None):
        self.fields = set(fields)
        self.values = values or {}
        self.errors: dict[str, str] = {}
        self.form_errors: list[str] = []

    def __bool__(self):
        return bool(self.errors or self.form_errors)


def report_refusal(form, exc, aliases: dict | None = None, rest_on: str | None = None) -> None:
    """A service's refusal on ``form`` (WTForms or PageForm): each field's message on its field
    (``aliases``: service name -> form field name), the rest above the form, or on the field
    ``rest_on`` (a one-field form: the code of the second factor)."""
    def above(message):
        if rest_on:
            _on_field(form, rest_on, message)
        else:
            form.form_errors.append(message)

    fields = exc.fields if isinstance(exc, ValidationFailed) else {}
    for name, message in fields.items():
        if not _on_field(form, (aliases or {}).get(name, name), message):
            above(message)
    if not fields:
        above(exc.message)


def _on_field(form, name: str, message: str) -> bool:
    if isinstance(form, PageForm):
        if name not in form.fields:
            return False
        form.errors[name] = message
        return True
    field = getattr(form, name, None)
    if not hasattr(field, "errors"):
        return False
    field.errors = list(field.errors) + [message]
    return True


def submitted(form, send, report=report_refusal):
    """A valid submission of ``form`` sent by ``send()``: its answer; None when the form is not
    submitted, not valid, or refused by the service (then the refusal is on the form)."""
    if not form.validate_on_submit():
        return None
    try:
        return send()
    except REFUSALS as exc:
        report(form, exc)
    return None


def saved(form, send, notice: str, url, report=report_refusal):
    """``form`` sent by ``send()`` (``submitted``); accepted: ``notice`` flashed, its ``{fields}``
    taken from the service's answer, and 303 to ``url`` (or ``url(answer)``). None otherwise:
    the caller shows the form again."""
    answer = submitted(form, send, report)
    if answer is None:
        return None
    flash(notice.format_map(answer), "success")
    return redirect(url(answer) if callable(url) else url, 303)


def refusal_message(exc) -> str:
    """A refusal in one sentence (an action's outcome, a list's filters)."""
    if isinstance(exc, ValidationFailed) and exc.fields:
        return " ".join(exc.fields.values())
    return exc.message


def done(url: str, message: str | None = None, category: str = "success"):
    """After a page-level POST: 303 to ``url``, which HTMX follows as a full page load."""
    if message:
        flash(message, category)
    if request.htmx:
        return Response("", 200, {"HX-Redirect": url})
    return redirect(url, code=303)


def attempt(send, success) -> tuple[str | None, str | None]:
    """An action's outcome: ``send()``, then (``success``, None), ``success`` being a sentence or
    one made from the service's answer; or (None, the refusal)."""
    try:
        answer = send()
    except REFUSALS as exc:
        return None, refusal_message(exc)
    return (success(answer) if callable(success) else success), None


def action_done(page: str, send, success):
    """A one-button action (``attempt``), then back to ``page`` with its outcome."""
    notice, error = attempt(send, success)
    return done(page, notice or error, "success" if notice else "error")


def outcome_or_back(template: str, url: str, notice: str | None, error: str | None, context=dict):
    """An action's outcome: HTMX gets ``template`` (its region, ``context()`` and the outcome line);
    a plain form gets the outcome as a flash, back on ``url``."""
    if request.htmx:
        return render_template(template, notice=notice, error=error, **context())
    flash(notice or error, "success" if notice else "error")
    return redirect(url, code=303)


def partial_or_page(template: str, title: str, **context):
    """An HTMX request gets the fragment alone; a plain request (no JavaScript, a reload, a
    bookmarked link) gets it inside a page."""
    if request.htmx:
        return render_template(template, **context)
    return render_template("fragment_page.html", fragment=template, title=title, **context)


# Scanning and storing files takes longer than an ordinary call (a call without files gets the
# ordinary timeout: a hung database never holds a worker longer than EP_RPC_TIMEOUT).
def upload_timeout() -> float:
    return max(current_app.config["EP_UPLOAD_TIMEOUT"], current_app.config["EP_RPC_TIMEOUT"])


def file_download(found: dict) -> Response:
    """A file the requests service streamed back ({"filename", "content_type", "content_b64"}), as a download
    the browser never sniffs nor keeps."""
    return Response(base64.b64decode(found["content_b64"]), content_type=found["content_type"], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found['filename'])}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})

