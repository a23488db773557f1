-- Change notifications: every committed write to a table the API serves is announced on the channel
-- chimera_changes, so caches (the response cache, the edge) can drop exactly what changed — whoever wrote it: the
-- API, a worker, a migration or psql. NOTIFY is delivered only when the transaction commits (never for a rollback),
-- and identical notifications of one transaction are delivered once.
--
-- Payload: {"t": <table>, "op": "INSERT" | "UPDATE" | "DELETE", "id": <row id>, "p": <parent id or null>}, where the
-- trigger's argument names the column of the parent a child row belongs to (an interaction's content, say).
CREATE FUNCTION chimera_notify_change() RETURNS trigger AS $$
DECLARE
    rec jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
BEGIN
    PERFORM pg_notify('chimera_changes', json_build_object(
        't', TG_TABLE_NAME,
        'op', TG_OP,
        'id', rec ->> 'id',
        'p', CASE WHEN TG_NARGS > 0 THEN rec ->> TG_ARGV[0] END
    )::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER personas_notify_change AFTER INSERT OR UPDATE OR DELETE ON personas
    FOR EACH ROW EXECUTE FUNCTION chimera_notify_change();
CREATE TRIGGER agents_notify_change AFTER INSERT OR UPDATE OR DELETE ON agents
    FOR EACH ROW EXECUTE FUNCTION chimera_notify_change('persona_id');
CREATE TRIGGER tasks_notify_change AFTER INSERT OR UPDATE OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION chimera_notify_change('agent_id');
CREATE TRIGGER content_notify_change AFTER INSERT OR UPDATE OR DELETE ON content
    FOR EACH ROW EXECUTE FUNCTION chimera_notify_change('agent_id');
CREATE TRIGGER trends_notify_change AFTER INSERT OR UPDATE OR DELETE ON trends
    FOR EACH ROW EXECUTE FUNCTION chimera_notify_change();
CREATE TRIGGER interactions_notify_change AFTER INSERT OR UPDATE OR DELETE ON interactions
    FOR EACH ROW EXECUTE FUNCTION chimera_notify_change('content_id');
CREATE TRIGGER wallets_notify_change AFTER INSERT OR UPDATE OR DELETE ON wallets
    FOR EACH ROW EXECUTE FUNCTION chimera_notify_change('agent_id');
CREATE TRIGGER transactions_notify_change AFTER INSERT OR UPDATE OR DELETE ON transactions
    FOR EACH ROW EXECUTE FUNCTION chimera_notify_change('wallet_id');
CREATE TRIGGER goals_notify_change AFTER INSERT OR UPDATE OR DELETE ON goals
    FOR EACH ROW EXECUTE FUNCTION chimera_notify_change('agent_id');
CREATE TRIGGER publications_notify_change AFTER INSERT OR UPDATE OR DELETE ON publications
    FOR EACH ROW EXECUTE FUNCTION chimera_notify_change('content_id');
CREATE TRIGGER audit_logs_notify_change AFTER INSERT ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION chimera_notify_change('agent_id');
CREATE TRIGGER users_notify_change AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION chimera_notify_change();
CREATE TRIGGER api_keys_notify_change AFTER INSERT OR UPDATE OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION chimera_notify_change();
