import pytest

from contracts import identity
from contracts.errors import NotAuthenticated

SECRET = "s" * 40
WHO = {"id": 7, "profile": "technicien", "caisse_code": None, "partner_id": 3}


def test_signed_identity_round_trips():
    assert identity.verify(identity.sign(WHO, SECRET), SECRET)["id"] == 7


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"),            # altered signature
    lambda t: identity.sign({**WHO, "profile": "agent_caisse"}, "x" * 40),  # other secret
    lambda t: "",
    lambda t: None,
    lambda t: "not-a-token",
])
def test_forged_or_missing_identity_is_refused(tamper):
    with pytest.raises(NotAuthenticated):
        identity.verify(tamper(identity.sign(WHO, SECRET)), SECRET)


def test_expired_identity_is_refused():
    token = identity.sign(WHO, SECRET, ttl=10, now=1000)
    assert identity.verify(token, SECRET, now=1005)
    with pytest.raises(NotAuthenticated):
        identity.verify(token, SECRET, now=1011)
