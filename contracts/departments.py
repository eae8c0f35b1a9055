"""French departments: one table for a caisse's territory (accounts) and an insured
person's department of residence (requests), so routing by department always agrees."""
import csv
from pathlib import Path

DEPARTMENTS: dict[str, str] = {    # code -> name, in the official order (INSEE); 2A/2B, no 20, no 975
    row["code"]: row["nom"]
    for row in csv.DictReader((Path(__file__).parent / "departments.csv").read_text(encoding="utf-8").splitlines(),
                              delimiter=";")}


def normalise_department(value) -> str | None:
    """The code as in :data:`DEPARTMENTS` ("1" -> "01", "2a" -> "2A"), or None."""
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    if len(code) == 1 and code in "0123456789":
        code = "0" + code
    return code if code in DEPARTMENTS else None
