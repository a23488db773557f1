-- Chimera v1.0 -> v1.1, part 2 of 3. A single statement, applied outside a transaction (CONCURRENTLY).
CREATE INDEX CONCURRENTLY idx_tasks_execution_time ON tasks(execution_time_ms);
