-- The swarm's bookkeeping: goals (what an operator asked for), task plans (dependencies, attempts, a version for
-- optimistic concurrency), and a transactional outbox (work to hand to the queues, committed with the rows it is
-- about, so losing Redis never loses a task).

CREATE TABLE goals (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id UUID NOT NULL REFERENCES agents(id),
    description TEXT NOT NULL,
    persona_constraints JSONB NOT NULL DEFAULT '[]',
    required_resources JSONB NOT NULL DEFAULT '[]',
    priority VARCHAR(20) NOT NULL DEFAULT 'medium' CHECK (priority IN ('high', 'medium', 'low')),
    status VARCHAR(20) NOT NULL DEFAULT 'planning'
        CHECK (status IN ('planning', 'running', 'review', 'complete', 'failed')),
    -- A client-chosen key: submitting the same goal twice (a retried request) returns the first one.
    idempotency_key VARCHAR(255),
    created_by UUID,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    UNIQUE (agent_id, idempotency_key)
);
CREATE INDEX idx_goals_agent_id ON goals(agent_id);

CREATE TRIGGER goals_touch_updated_at BEFORE UPDATE ON goals
    FOR EACH ROW EXECUTE FUNCTION chimera_touch_updated_at();

ALTER TABLE tasks ADD COLUMN goal_id UUID REFERENCES goals(id);
-- Tasks of the same plan this one waits for.
ALTER TABLE tasks ADD COLUMN depends_on UUID[] NOT NULL DEFAULT '{}';
ALTER TABLE tasks ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0);
-- Bumped by every state change: a writer that read version N may only write if it is still N.
ALTER TABLE tasks ADD COLUMN version INTEGER NOT NULL DEFAULT 0 CHECK (version >= 0);
CREATE INDEX idx_tasks_goal_id ON tasks(goal_id);

CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    topic VARCHAR(64) NOT NULL,
    payload JSONB NOT NULL,
    -- The BullMQ job id: enqueueing the same row twice (a relay retry) adds one job.
    dedupe_key VARCHAR(255) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    dispatched_at TIMESTAMP WITH TIME ZONE,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX idx_outbox_pending ON outbox(id) WHERE dispatched_at IS NULL;
