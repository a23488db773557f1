-- Integrity rules the database enforces itself, whoever writes to it (API, workers, psql).

-- 1. audit_logs and security_audit_logs are append-only: UPDATE, DELETE and TRUNCATE raise an error.
--    (Retention, a later feature, will be the one sanctioned path that removes expired rows.)
CREATE FUNCTION chimera_forbid_audit_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege', HINT = 'Audit rows can only be inserted.';
END;
$$;

CREATE TRIGGER audit_logs_append_only
    BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION chimera_forbid_audit_change();
CREATE TRIGGER audit_logs_no_truncate
    BEFORE TRUNCATE ON audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION chimera_forbid_audit_change();

CREATE TRIGGER security_audit_logs_append_only
    BEFORE UPDATE OR DELETE ON security_audit_logs
    FOR EACH ROW EXECUTE FUNCTION chimera_forbid_audit_change();
CREATE TRIGGER security_audit_logs_no_truncate
    BEFORE TRUNCATE ON security_audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION chimera_forbid_audit_change();

-- 2. updated_at follows every UPDATE (unless the statement sets it explicitly), for every writer.
CREATE FUNCTION chimera_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := NOW();
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER personas_touch_updated_at BEFORE UPDATE ON personas
    FOR EACH ROW EXECUTE FUNCTION chimera_touch_updated_at();
CREATE TRIGGER agents_touch_updated_at BEFORE UPDATE ON agents
    FOR EACH ROW EXECUTE FUNCTION chimera_touch_updated_at();
CREATE TRIGGER tasks_touch_updated_at BEFORE UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION chimera_touch_updated_at();
