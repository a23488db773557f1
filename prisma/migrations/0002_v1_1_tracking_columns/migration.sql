-- Chimera v1.0 -> v1.1 (spec "Migration Plan"), part 1 of 3: new tracking columns and the data migration.
-- The spec's two CREATE INDEX CONCURRENTLY statements cannot run inside a transaction block (nor in a
-- multi-statement script, which PostgreSQL runs as one implicit transaction), so each is a migration of its own:
-- 0003 and 0004. The backfill runs before the indexes are built, so it does not pay for index maintenance.

-- Add new columns for enhanced tracking
ALTER TABLE tasks ADD COLUMN execution_time_ms INTEGER;
ALTER TABLE content ADD COLUMN engagement_metrics JSONB;
ALTER TABLE agents ADD COLUMN performance_score DECIMAL(3,2);

-- Migrate existing data
-- Deviation from the spec's statement: execution_time_ms is an INTEGER (max 2^31-1 ms, about 24.8 days), and the
-- spec's bare expression raises "integer out of range" for any task last updated later than that after its creation,
-- which would roll back the whole upgrade. Such durations are clamped to the largest storable value.
-- Rows missing either timestamp keep NULL, as with the spec's statement (LEAST ignores NULLs, hence the extra filter).
UPDATE tasks SET execution_time_ms = LEAST(EXTRACT(EPOCH FROM (updated_at - created_at)) * 1000, 2147483647)
WHERE execution_time_ms IS NULL AND updated_at IS NOT NULL AND created_at IS NOT NULL;
