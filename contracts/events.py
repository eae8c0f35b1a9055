"""Event names and their source service, in one place.

nameko events are published on the ``<source>.events`` exchange with the
event type as routing key; handlers subscribe with (source, type).
"""

ACCOUNTS = "accounts"
REQUESTS = "requests"
NOTIFIER = "notifier"

# accounts -> notifier: a password-reset link must be emailed.
# payload: contracts.schemas.PasswordResetRequested
PASSWORD_RESET_REQUESTED = "password_reset_requested"
