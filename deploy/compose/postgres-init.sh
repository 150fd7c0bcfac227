#!/bin/sh
# First start of the PostgreSQL container only (docker-entrypoint-initdb.d): one role and one
# database per service and one for the gateway, each role owning only its own database;
# passwords from the environment.
set -eu
for service in referral shelter legal gateway; do
  var="$(echo "$service" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
  password="$(printenv "$var")"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
       -v name="$service" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
done
