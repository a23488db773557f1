-- System escalation triggers (spec "Escalation Triggers", system: error rate, response time, database connection
-- failures, memory). Their alerts go through security_alerts like the security triggers' and carry the escalation
-- level of the spec's escalation_procedures (1-3), and, once the condition is over, when it resolved.
ALTER TABLE security_alerts ADD COLUMN level SMALLINT CHECK (level BETWEEN 1 AND 3);
ALTER TABLE security_alerts ADD COLUMN resolved_at TIMESTAMP WITH TIME ZONE;
