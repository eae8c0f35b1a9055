import pytest

from contracts import identity, keys
from contracts.errors import NotAuthenticated

SECRET = "s" * 40
WHO = {"id": 7, "profile": "technicien", "caisse_code": None, "partner_id": 3}
SERVICE = {"id": None, "profile": "service", "service": "notifier"}
AUD = identity.audience("requests", "search")


def test_signed_identity_round_trips():
    assert identity.verify(identity.sign(WHO, SECRET, AUD), SECRET, AUD)["id"] == 7
    assert identity.verify(identity.sign(SERVICE, SECRET, AUD), SECRET, AUD)["service"] == "notifier"


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"),            # altered signature
    lambda t: identity.sign({**WHO, "profile": "agent_caisse"}, "x" * 40, AUD),  # other secret
    lambda t: "",
    lambda t: None,
    lambda t: "not-a-token",
    lambda t: "bm90IGpzb24=.00",
])
def test_forged_or_missing_identity_is_refused(tamper):
    with pytest.raises(NotAuthenticated):
        identity.verify(tamper(identity.sign(WHO, SECRET, AUD)), SECRET, AUD)


def test_expired_identity_is_refused():
    token = identity.sign(WHO, SECRET, AUD, ttl=10, now=1000)
    assert identity.verify(token, SECRET, AUD, now=1005)
    with pytest.raises(NotAuthenticated):
        identity.verify(token, SECRET, AUD, now=1011)


def test_an_identity_opens_only_the_method_it_was_signed_for():
    token = identity.sign(WHO, SECRET, identity.audience("requests", "search"))
    with pytest.raises(NotAuthenticated):
        identity.verify(token, SECRET, identity.audience("accounts", "me"))
    with pytest.raises(NotAuthenticated):
        identity.verify(token, SECRET, identity.audience("requests", "submit"))


def test_a_login_ticket_is_no_identity_and_an_identity_no_ticket():
    ticket = identity.sign_ticket({**WHO, "aud": AUD}, SECRET, ttl=60)
    with pytest.raises(NotAuthenticated):
        identity.verify(ticket, SECRET, AUD)
    with pytest.raises(NotAuthenticated):
        identity.verify_ticket(identity.sign(WHO, SECRET, AUD), SECRET)
    assert identity.verify_ticket(ticket, SECRET)["id"] == 7


def test_a_person_cannot_pass_for_a_service_nor_a_service_for_a_person():
    """The key follows the profile claimed: a person's token edited to say "service" no longer verifies."""
    import base64
    import json

    body, mac = identity.sign(WHO, SECRET, AUD).rsplit(".", 1)
    claims = dict(json.loads(base64.urlsafe_b64decode(body)), profile="service")
    forged = base64.urlsafe_b64encode(json.dumps(claims, sort_keys=True).encode()).decode() + "." + mac
    with pytest.raises(NotAuthenticated):
        identity.verify(forged, SECRET, AUD)


def test_forwarding_keeps_the_expiry_and_changes_the_audience():
    token = identity.sign(WHO, SECRET, AUD, ttl=30)
    onward = identity.forward(token, SECRET, AUD, identity.audience("accounts", "me"))
    who = identity.verify(onward, SECRET, identity.audience("accounts", "me"))
    assert who["exp"] == identity.verify(token, SECRET, AUD)["exp"] and who["id"] == 7
    with pytest.raises(NotAuthenticated):                      # only what was received for this method
        identity.forward(token, SECRET, identity.audience("accounts", "me"), AUD)


def test_each_purpose_has_its_own_key():
    derived = {keys.derive(SECRET, purpose) for purpose in keys.PURPOSES}
    assert len(derived) == len(keys.PURPOSES) and SECRET.encode() not in derived
    with pytest.raises(ValueError):
        keys.derive(SECRET, b"anything")


def test_a_value_made_under_the_unsubscribe_key_is_no_ticket_nor_identity():
    """Signed with the same root secret, but for unsubscribe links: refused at the login steps."""
    under_unsubscribe_key = identity._seal({"second_factor": 7, "password": "x", "exp": 2 ** 40},
                                           keys.derive(SECRET, keys.UNSUBSCRIBE))
    with pytest.raises(NotAuthenticated):
        identity.verify_ticket(under_unsubscribe_key, SECRET)
    with pytest.raises(NotAuthenticated):
        identity.verify(under_unsubscribe_key, SECRET, AUD)
