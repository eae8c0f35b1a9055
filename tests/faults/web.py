"""A technicien using the real web (gunicorn, over HTTP) as a browser would: one
cookie session, CSRF tokens from the pages, the form's idempotency key kept for
a resubmission. Each answer is classified: filed (the redirect to the new
request), "réessayez" (the French message telling to try again), or anything
else, which the tests treat as a failure."""
import html
import re
import sqlite3
import time
import uuid
from dataclasses import dataclass

import requests

from tests.helpers import LOGINS, ROLES, code_step, csrf_from, second_factor_code

FORM = "/demandes/nouvelle/999/document"


def unique_name() -> str:
    """Names take letters only (the service refuses digits in a name)."""
    return "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:12]).capitalize()


@dataclass
class Answer:
    status: int
    text: str
    seconds: float
    at: float = 0.0                       # time.monotonic() when it was asked
    request_id: int | None = None

    @property
    def filed(self) -> bool:
        return self.request_id is not None

    @property
    def retry(self) -> bool:
        """The unacknowledged case: a French "réessayez", never a 500."""
        return self.status in (200, 503) and "réessayez" in self.text.lower()


@dataclass
class Submission:
    name: str
    key: str
    csrf: str                              # valid in the session of ``user`` only
    answers: list
    user: "WebUser"


class WebUser:
    def __init__(self, base_url: str, role: str | None = "technicien", timeout: float = 30,
                 accounts_database_url: str | None = None):
        """``accounts_database_url``: the stack's, for the demo admin's and agents' second factor."""
        self.base, self.timeout = base_url, timeout
        self.http = requests.Session()
        if role is None:
            return
        email, password = LOGINS[role]
        page = self.get("/connexion")
        response = self.http.post(self.base + "/connexion", allow_redirects=False, timeout=timeout,
                                  data={"email": email, "password": password, "csrf_token": csrf_from(page.text)})
        step = code_step(response.text)
        if step:
            response = self.http.post(self.base + "/connexion/code", allow_redirects=False, timeout=timeout, data={
                **step, "code": second_factor_code(*ROLES[role], database_url=accounts_database_url)})
        assert response.status_code == 303, response.text

    @classmethod
    def anonymous(cls, base_url: str) -> "WebUser":
        return cls(base_url, role=None)

    def get(self, path: str, htmx: bool = False) -> Answer:
        started = time.monotonic()
        headers = {"HX-Request": "true"} if htmx else {}
        response = self.http.get(self.base + path, allow_redirects=False, timeout=self.timeout, headers=headers)
        return Answer(response.status_code, html.unescape(response.text), time.monotonic() - started, started)

    def open_form(self) -> Submission | Answer:
        """A new submission (with the form's key and token), or the page that said to retry."""
        page = self.get(FORM)
        if page.status != 200 or 'name="idempotency_key"' not in page.text:
            return page
        key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)[1]
        return Submission(unique_name(), key, csrf_from(page.text), [], self)

    def send(self, submission: Submission) -> Answer:
        """Post the form (again, with the same key when sent a second time)."""
        data = {"insured.civility": "Mme", "insured.last_name": submission.name, "insured.first_name": "Jeanne",
                "insured.birth_date": "1980-05-17", "insured.department": "60",
                "document_type": "attestation_droits", "comment": "",
                "csrf_token": submission.csrf, "idempotency_key": submission.key}
        started = time.monotonic()
        response = self.http.post(self.base + FORM, data=data, files={"files": ("", b"")}, allow_redirects=False,
                                  timeout=self.timeout)
        answer = Answer(response.status_code, html.unescape(response.text), time.monotonic() - started, started)
        if response.status_code == 303:
            match = re.fullmatch(r"(?:https?://[^/]+)?/demandes/(\d+)", response.headers.get("Location", ""))
            answer.request_id = int(match[1]) if match else None
        submission.answers.append(answer)
        return answer


def submit_until(stop, user: WebUser, made: list, pages: list) -> None:
    """A technicien filing requests one after the other until ``stop`` (a threading.Event) is set."""
    while not stop.is_set():
        submission = user.open_form()
        if not isinstance(submission, Submission):
            pages.append(submission)            # the form itself could not be shown: "réessayez" too
            time.sleep(0.2)
            continue
        user.send(submission)
        made.append(submission)


def requests_named(database_url: str, name: str) -> list[int]:
    """Ids of the requests filed for that insured person, read straight from the service's database."""
    query = "SELECT id FROM partner_request WHERE upper(insured_last_name) = :name ORDER BY id"
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30) as db:
            return [row[0] for row in db.execute(query, {"name": name.upper()})]
    import sqlalchemy as sa          # the bench's PostgreSQL databases (bench/cluster_failover.py)

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(sa.text(query), {"name": name.upper()})]
    finally:
        engine.dispose()
