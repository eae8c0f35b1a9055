#!/bin/sh
# Runs the broker, then gives each application its own account (no guest, no shared
# password): a leaked service password is revoked alone. Passwords come from the
# environment, never from the repository. Idempotent: re-running sets the same passwords.
set -eu
rabbitmq-server &
server=$!
rabbitmqctl await_startup --timeout 120
rabbitmqctl delete_user guest 2>/dev/null || true
for app in accounts requests notifier web; do
    var="RABBITMQ_$(echo "$app" | tr a-z A-Z)_PASSWORD"
    eval "password=\${$var:?$var must be set}"
    rabbitmqctl add_user "$app" "$password" 2>/dev/null || rabbitmqctl change_password "$app" "$password"
    rabbitmqctl set_permissions -p / "$app" ".*" ".*" ".*"
done
touch /tmp/ep-users-ready            # the healthcheck waits for the accounts, not just the broker
wait "$server"
