-- Chimera v1.0 -> v1.1, part 3 of 3. A single statement, applied outside a transaction (CONCURRENTLY).
CREATE INDEX CONCURRENTLY idx_content_engagement ON content USING GIN(engagement_metrics);
