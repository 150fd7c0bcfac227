#!/bin/sh
# First start of the PostgreSQL container only (docker-entrypoint-initdb.d): one role and one
# database per service and one for the gateway, each role owning only its own database;
# passwords from the environment. The role audit_owner (no login) will own each service's
# audit_log: deploy/postgres/audit-owner.sql, run here in each service's database, lets the
# service's migration hand the table over, and its role keeps INSERT and SELECT only.
set -eu
audit_owner_sql="${REFNET_AUDIT_OWNER_SQL:-/refnet/audit-owner.sql}"  # mounted by compose.yaml
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -c \
  "DO \$\$ BEGIN CREATE ROLE audit_owner NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$"
for service in referral shelter legal notify gateway; do
  var="$(echo "$service" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
  password="$(printenv "$var")"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
       -v name="$service" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
  if [ "$service" != gateway ]; then
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$service" \
         -f "$audit_owner_sql"
  fi
done
