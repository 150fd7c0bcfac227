-- Run as a superuser in each service's database (referral, shelter, legal), after the role
-- audit_owner exists (NOLOGIN, owns nothing else). It defines refnet_protect_audit_log(), which
-- each service's migration calls as the service's own role once audit_log exists
-- (services/common/migrations.py): audit_log, its trigger function and the schema public then
-- belong to audit_owner, and the service's role may only SELECT and INSERT the trail (no UPDATE,
-- DELETE, TRUNCATE, ALTER or DROP). Why: docs/decisions/0030-keyed-audit-chain-checkpoints-and-owner.md.
CREATE OR REPLACE FUNCTION public.refnet_protect_audit_log() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  service name := (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database());
BEGIN
  IF session_user::name <> service
     AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) THEN
    RAISE EXCEPTION 'only the owner of this database protects its audit log';
  END IF;
  IF to_regclass('public.audit_log') IS NULL THEN
    RAISE EXCEPTION 'public.audit_log does not exist yet';
  END IF;
  ALTER SCHEMA public OWNER TO audit_owner;
  EXECUTE 'GRANT USAGE, CREATE ON SCHEMA public TO ' || quote_ident(service);
  ALTER TABLE public.audit_log OWNER TO audit_owner;
  ALTER FUNCTION public.audit_log_append_only() OWNER TO audit_owner;
  EXECUTE 'REVOKE ALL ON TABLE public.audit_log FROM ' || quote_ident(service);
  EXECUTE 'GRANT SELECT, INSERT ON TABLE public.audit_log TO ' || quote_ident(service);
END $$;
REVOKE ALL ON FUNCTION public.refnet_protect_audit_log() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.refnet_protect_audit_log()
  TO pg_database_owner;
