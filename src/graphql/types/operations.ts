// Operations: the spec's data validation queries, for analysts (reports:read).
import type { HourlyTasks, IntegrityCheck } from '../../domain/operations/data-validation.js';
import { builder } from '../builder.js';

const IntegrityCheckRef = builder.objectRef<IntegrityCheck>('IntegrityCheck').implement({
  description: 'One of the spec’s integrity checks: rows of a table missing what they should point at.',
  fields: (t) => ({
    table: t.exposeString('table'),
    check: t.exposeString('check', { description: 'e.g. missing_personas (agents), missing_agents (tasks).' }),
    totalRows: t.exposeInt('totalRows'),
    failing: t.exposeInt('failing', { description: 'Rows failing the check; 0 is healthy.' }),
  }),
});

const HourlyTasksRef = builder.objectRef<HourlyTasks>('HourlyTaskCount').implement({
  description: 'The spec’s performance query: tasks created in an hour and their average relevance.',
  fields: (t) => ({
    hour: t.field({ type: 'DateTime', description: 'The start of the hour (UTC).', resolve: (h) => h.hour }),
    tasksCreated: t.exposeInt('tasksCreated'),
    averageRelevance: t.exposeFloat('averageRelevance', { nullable: true, description: '0–1; null when unscored.' }),
  }),
});

builder.queryField('dataIntegrity', (t) =>
  t.field({
    type: [IntegrityCheckRef],
    description: 'The spec’s data integrity checks, one row per table and check.',
    resolve: (_r, _a, ctx) => ctx.services.validation.integrity(),
  }),
);

builder.queryField('taskThroughput', (t) =>
  t.field({
    type: [HourlyTasksRef],
    description:
      'Tasks created per hour over the last `hours` (1 to 744), newest first; hours without tasks are left out.',
    args: { hours: t.arg.int({ defaultValue: 24 }) },
    resolve: (_r, { hours }, ctx) => ctx.services.validation.throughput(hours ?? 24),
  }),
);
