"""French email templates: a subject, a plain-text body and an HTML body per kind."""
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,       # a missing variable is a bug, not an empty string
    keep_trailing_newline=True,
)
PARIS = ZoneInfo("Europe/Paris")


def base_url() -> str:
    return os.environ.get("EP_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def french_datetime(iso_utc: str) -> str:
    moment = datetime.fromisoformat(iso_utc.replace("Z", "+00:00")).astimezone(PARIS)
    return moment.strftime("%d/%m/%Y à %H:%M")


def render(kind: str, **context) -> tuple[str, str, str]:
    subject = _env.get_template(f"{kind}.subject.txt").render(**context).strip()
    return subject, _env.get_template(f"{kind}.txt").render(**context), _env.get_template(f"{kind}.html").render(**context)
