-- The audit trail (issue 21): every staff action, appended in the transaction of the action.
-- Append-only like the crossing log: the database refuses to change or remove a row.
CREATE TABLE audit_log (
    id TEXT NOT NULL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT NOT NULL,
    client TEXT
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_actor ON audit_log (actor, at);
CREATE INDEX audit_log_action ON audit_log (action, at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$$;

CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_append_only_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Administrators find permits by surname prefix, with or without the birth date
-- (text_pattern_ops: a LIKE 'PREFIX%' uses them whatever the database's collation).
CREATE INDEX permits_surname ON permits (surname text_pattern_ops);
CREATE INDEX permits_birth_surname ON permits (birth_date, surname text_pattern_ops);
