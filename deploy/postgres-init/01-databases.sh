#!/bin/sh
# Run once by the postgres image on an empty data volume, as POSTGRES_USER.
# One database per service, owned by the service's own role: services never share
# tables nor credentials. Passwords come from the environment (deploy/compose.env.example).
set -eu
for service in accounts requests notifier; do
    var="$(echo "$service" | tr a-z A-Z)_DB_PASSWORD"
    eval "password=\${$var:?$var must be set}"
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
         -v role="$service" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
done
