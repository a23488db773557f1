-- Retention (spec "Retention Policies"): the one sanctioned path by which audit rows leave the database, and the
-- indexes the retention queries need.

-- 1. Audit rows stay append-only (UPDATE and TRUNCATE always fail), except that a DELETE is allowed for a row older
--    than the cutoff the retention path declares for its transaction (SET LOCAL chimera.retention_cutoff), and only
--    when that cutoff is at least a day old: a misconfigured period can never remove what was written today.
CREATE OR REPLACE FUNCTION chimera_forbid_audit_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    cutoff timestamptz;
    stamp timestamptz;
BEGIN
    IF TG_OP = 'DELETE' THEN
        cutoff := NULLIF(current_setting('chimera.retention_cutoff', true), '')::timestamptz;
        -- security_audit_logs has the spec's "timestamp"; audit_logs only created_at.
        stamp := COALESCE((to_jsonb(OLD) ->> 'timestamp')::timestamptz, OLD.created_at);
        IF cutoff IS NOT NULL AND cutoff <= NOW() - INTERVAL '1 day' AND stamp < cutoff THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Audit rows can only be inserted; retention removes them once their period has passed.';
END;
$$;

-- 2. What retention scans by age.
CREATE INDEX idx_interactions_created_at ON interactions(created_at);
CREATE INDEX idx_tasks_updated_at ON tasks(updated_at);
CREATE INDEX idx_transactions_created_at ON transactions(created_at);
CREATE INDEX idx_sessions_expires_at ON sessions(expires_at);
