"""Payload shapes exchanged over RPC and events (plain JSON-able dicts).

TypedDicts document the keys without tying the wire to a class: nameko
serialises JSON, and both ends can be deployed separately.
"""
from typing import Optional, TypedDict


class AccountSummary(TypedDict):
    id: int
    email: str
    civility: str
    first_name: str
    last_name: str
    profile: str                    # one of contracts.profiles.PROFILES
    caisse_code: Optional[str]
    caisse_name: Optional[str]
    partner_id: Optional[int]
    partner_name: Optional[str]
