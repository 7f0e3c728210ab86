-- The application's PostgreSQL role: it may read and write the service's tables, but may only
-- append to the audit trail (and seal an unsealed event's place in the chain). Migrations run
-- as the owner of the tables; the application connects as prevent_app. Run as the owner,
-- after `manage.py migrate`, with psql: psql -d prevent -f deploy/postgres-app-role.sql
-- (create the role first: CREATE ROLE prevent_app LOGIN PASSWORD '...';)
GRANT USAGE ON SCHEMA public TO prevent_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO prevent_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO prevent_app;
REVOKE UPDATE, DELETE, TRUNCATE ON compliance_auditevent, compliance_auditcheckpoint FROM prevent_app;
GRANT SELECT, INSERT ON compliance_auditevent, compliance_auditcheckpoint TO prevent_app;
GRANT UPDATE (sequence, prev_hash, hash, key_id) ON compliance_auditevent TO prevent_app;
GRANT USAGE, SELECT ON SEQUENCE compliance_auditevent_id_seq, compliance_auditcheckpoint_id_seq TO prevent_app;
