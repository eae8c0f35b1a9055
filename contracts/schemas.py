"""Payload shapes exchanged over RPC and events (plain JSON-able dicts).

TypedDicts document the keys without tying the wire to a class: nameko
serialises JSON, and both ends can be deployed separately.
"""
from typing import Literal, Optional, TypedDict

Profile = Literal["admin_national", "agent_caisse", "gestionnaire", "technicien"]

PROFILE_LABELS = {
    "admin_national": "Administrateur national",
    "agent_caisse": "Agent de caisse",
    "gestionnaire": "Gestionnaire",
    "technicien": "Technicien",
}


class AccountSummary(TypedDict):
    id: int
    email: str
    civility: str
    first_name: str
    last_name: str
    profile: Profile
    caisse_code: Optional[str]
    caisse_name: Optional[str]
    partner_id: Optional[int]
    partner_name: Optional[str]


class PasswordResetRequested(TypedDict):
    event_id: str          # idempotency key: one email per event, even if delivered twice
    email: str
    first_name: str
    last_name: str
    token: str             # plain token, only ever in the email link
    expires_at: str        # ISO 8601, UTC


class Health(TypedDict):
    service: str
    status: Literal["ok"]
    database: str
