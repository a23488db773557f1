// The core's services, wired with their dependencies. Both faces (the API, the swarm) receive this object.
import type { Database } from '../platform/db/prisma.js';
import { createAgentService } from './agents/agents.service.js';
import { createAuditService } from './audit/audit.service.js';
import { createContentService } from './content/content.service.js';
import { createInteractionService } from './interactions/interactions.service.js';
import { createPersonaService } from './personas/personas.service.js';
import { createTaskService } from './tasks/tasks.service.js';
import { createTrendService } from './trends/trends.service.js';
import { createWalletService } from './wallets/wallets.service.js';

export interface ServiceDeps {
  db: Database;
}

export function createServices(deps: ServiceDeps) {
  return {
    personas: createPersonaService(deps),
    agents: createAgentService(deps),
    tasks: createTaskService(deps),
    content: createContentService(deps),
    trends: createTrendService(deps),
    interactions: createInteractionService(deps),
    wallets: createWalletService(deps),
    audit: createAuditService(deps),
  };
}

export type Services = ReturnType<typeof createServices>;
