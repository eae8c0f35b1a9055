"""Event names and their source service, in one place.

nameko events are published on the ``<source>.events`` exchange with the
event type as routing key; handlers subscribe with (source, type).

Every email-causing event from accounts carries the same envelope:
``event_id`` (idempotency key: one email per recipient per event, even if the
event is delivered twice) and ``recipients``: [{"email", "first_name",
"last_name"}, optionally "account_id" and "caisses": [caisse codes the person
belongs to], which the notifier's delivery log uses to show a caisse its
users' emails, and "contacts": [{"name": caisse name, "referents": [{kind, name,
function, phones, phone, email}]}], the caisses' local referents the emails that
name someone to turn to show], plus the fields listed beside its name. No data about insured
people ever travels in these events.

Producers write each event to their own outbox table in the transaction that
causes it and relay it with publisher confirms (services.common.event_outbox):
an event is published at least once, never lost.
"""

ACCOUNTS = "accounts"
REQUESTS = "requests"
NOTIFIER = "notifier"

# accounts -> notifier (all carry event_id + recipients)
PASSWORD_RESET_REQUESTED = "password_reset_requested"   # noqa: S105 (an event name)  token, expires_at (ISO UTC)
ACCOUNT_INVITED = "account_invited"                     # token, expires_at, profile_label, organisation,
                                                        # second_factor_required (enrolled at first login)
PASSWORD_CHANGED = "password_changed"                   # noqa: S105 (an event name)  changed_at
ACCOUNT_INACTIVATED = "account_inactivated"             # reason_label (to the person)
FRAUD_INACTIVATION = "fraud_inactivation"               # account_name, reason_label, partner_name (to gestionnaires;
#                                            to_referents true: the only gestionnaire, to the partner's and caisse's referents)
INACTIVITY_WARNING = "inactivity_warning"               # inactivation_date (ISO date), inactivity_days, caisse_name
REVIEW_REQUESTED = "review_requested"                   # partner_name, caisse_name, reminder (bool)
SECOND_FACTOR_CHANGED = "second_factor_changed"         # change (SECOND_FACTOR_CHANGES), changed_at (ISO UTC)
SECOND_FACTOR_CHANGES = ("enrolled", "disabled", "recovery_codes_renewed", "recovery_code_used", "reset")
# An account's address changed (services.accounts.email_change): changed_at (ISO UTC), changed_by (who, as said);
EMAIL_CHANGED = "email_changed"                         # new_email (masked) (to the OLD address)
EMAIL_CHANGED_NEW = "email_changed_new"                 # (to the new address of an activated account)
# partners and conventions (caisse_name, partner_name in each)
CONVENTION_PROPOSED = "convention_proposed"             # start_date (to the partner's gestionnaires)
CONVENTION_ANSWERED = "convention_answered"             # accepted (bool) (to the proposing caisse's agents)
PARTNER_ACCESS_CHANGED = "partner_access_changed"       # suspended (bool); caisse_name "" = every caisse (to gestionnaires)
CONVENTION_ENDING = "convention_ending"                 # end_date (ISO date) (to the caisse's agents and the gestionnaires)
# « Demandes à la caisse » (services.accounts.account_requests): each step of a request, to each side
ACCOUNT_REQUEST_STEP = "account_request_step"           # audience (partner | caisse), kind_label, status_label, what,
#                                  account_name, partner_name, caisse_name, request_id, due_date (ISO date)

ACCOUNT_EMAIL_EVENTS = (
    PASSWORD_RESET_REQUESTED, ACCOUNT_INVITED, PASSWORD_CHANGED, ACCOUNT_INACTIVATED,
    FRAUD_INACTIVATION, INACTIVITY_WARNING, REVIEW_REQUESTED, SECOND_FACTOR_CHANGED,
    CONVENTION_PROPOSED, CONVENTION_ANSWERED, PARTNER_ACCESS_CHANGED, CONVENTION_ENDING,
    EMAIL_CHANGED, EMAIL_CHANGED_NEW,
    ACCOUNT_REQUEST_STEP,
)

# requests -> notifier (same envelope): to the requesting technicien, when the caisse acts on a request.
REQUEST_STATUS_CHANGED = "request_status_changed"      # reference, kind_label, status_label, new_message, request_id
# requests -> notifier: once a day, to a caisse's agents, when requests wait past the caisse's delay.
LATE_REQUESTS_SUMMARY = "late_requests_summary"        # caisse_name, count, late_after_days, references (≤ 10)
# requests -> notifier (same envelope), support reports (issue 15, point 3): to the caisse's local referents when
# a report is filed; to the reporter when the caisse or national support answers, escalates or closes it.
SUPPORT_REPORT_FILED = "support_report_filed"          # reference, category_label, caisse_name, organisation, report_id
SUPPORT_REPORT_UPDATED = "support_report_updated"      # reference, status_label, answered (bool), report_id
# requests -> notifier, no recipients: a document (or a new version) published on « Documentation », announced
# as a news item of each caisse concerned (and so in its next newsletter).
DOCUMENT_PUBLISHED = "document_published"              # document_id, caisse_codes, title, version, category_label,
#                                                        new_version (bool), author_name
