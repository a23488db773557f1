-- MCP integration: the publish ledger, the webhook deliveries, and a goal's context for its tasks.
--
-- publications: one row per piece of content and platform, written before anything is sent to the platform. Its id
-- is the idempotency key the platform is given, and (content_id, platform) is unique, so a retried or crashed publish
-- job finds the row and can never post twice. posted_at feeds the per-account sliding-window quota.
CREATE TABLE publications (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    content_id UUID NOT NULL REFERENCES content(id),
    agent_id UUID REFERENCES agents(id),
    platform VARCHAR(100) NOT NULL,
    account VARCHAR(255) NOT NULL,
    -- A reply answers a comment on the platform (reply_comment tasks); a post stands alone.
    kind VARCHAR(20) NOT NULL DEFAULT 'post' CHECK (kind IN ('post', 'reply')),
    reply_to JSONB,
    status VARCHAR(20) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'posted', 'failed', 'deleted')),
    platform_post_id VARCHAR(255),
    url TEXT,
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error TEXT,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    posted_at TIMESTAMP WITH TIME ZONE,
    UNIQUE (content_id, platform),
    UNIQUE (platform, platform_post_id)
);
CREATE INDEX idx_publications_quota ON publications(platform, account, posted_at DESC);
CREATE INDEX idx_publications_agent_id ON publications(agent_id);

CREATE TRIGGER publications_touch_updated_at BEFORE UPDATE ON publications
    FOR EACH ROW EXECUTE FUNCTION chimera_touch_updated_at();

-- webhook_deliveries: every platform event accepted, by its id, committed with the interactions it carried, so a
-- replayed or redelivered event is recognised and never counted twice.
CREATE TABLE webhook_deliveries (
    platform VARCHAR(100) NOT NULL,
    event_id VARCHAR(255) NOT NULL,
    received_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    interactions INTEGER NOT NULL CHECK (interactions >= 0),
    PRIMARY KEY (platform, event_id)
);
CREATE INDEX idx_webhook_deliveries_received_at ON webhook_deliveries(received_at);

-- What a goal passes to every task of its plan, e.g. the platform comment a reply answers.
ALTER TABLE goals ADD COLUMN context JSONB NOT NULL DEFAULT '{}';
