#!/bin/sh
# Runs the broker, then gives each application its own account (no guest, no shared
# password): a leaked service password is revoked alone. Passwords come from the
# environment, never from the repository. Idempotent: re-running sets the same passwords.
# What each account may do comes from definitions.json (its own queues and exchanges only,
# and on nameko-rpc only its own calls and replies): see deploy/README.md « Comptes du courtier ».
set -eu
rabbitmq-server &
server=$!
rabbitmqctl await_startup --timeout 120
rabbitmqctl delete_user guest 2>/dev/null || true
for app in accounts requests notifier web; do
    var="RABBITMQ_$(echo "$app" | tr a-z A-Z)_PASSWORD"
    eval "password=\${$var:?$var must be set}"
    rabbitmqctl add_user "$app" "$password" 2>/dev/null || rabbitmqctl change_password "$app" "$password"
    rabbitmqctl clear_permissions -p / "$app" 2>/dev/null || true
done
rabbitmqctl import_definitions /etc/rabbitmq/ep-definitions.json
touch /tmp/ep-users-ready            # the healthcheck waits for the accounts, not just the broker
wait "$server"
