// Assembles the schema from one file per domain. scripts/print-schema.ts prints it to schema.graphql.
import { lexicographicSortSchema, printSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { builder } from './builder.js';
import { permissionsFor } from './permissions.js';
import './types/common.js';
import './types/personas.js';
import './types/agents.js';
import './types/tasks.js';
import './types/goals.js';
import './types/review.js';
import './types/content.js';
import './types/trends.js';
import './types/interactions.js';
import './types/wallets.js';
import './types/audit.js';
import './types/auth.js';
import './types/oidc.js';
import './types/users.js';
import './types/webauthn.js';
import './types/security.js';
import './types/swarm.js';
import './types/memory.js';
import './types/moderation.js';
import './types/publishing.js';
import './types/showcase.js';
import './types/operations.js';

export const schema = lexicographicSortSchema(builder.toSchema());

/** The schema the server executes: every field behind the rule tree of permissions.ts. */
export const executableSchema = applyMiddleware(schema, permissionsFor(schema));

/** The text of schema.graphql. */
export function printSchemaSDL(): string {
  return `# Generated from the code by \`npm run schema:print\`. Do not edit.\n\n${printSchema(schema)}`;
}
