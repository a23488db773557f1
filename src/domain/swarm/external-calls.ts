// The spec's third agent limit: external_api_calls, 100 per agent per hour and 10,000 for the whole system. Every
// call a stage makes to something outside — the language model (plan, write, critique), an MCP resource, a platform
// tool — takes one from both budgets first (Redis sliding windows, shared by every process). Over either, the job
// waits until the window frees (QuotaDeferral): deferred, never dropped.
import type { RateLimiter } from '../security/rate-limit.js';
import { QuotaDeferral } from '../tasks/limits.js';

export interface ExternalCallLimits {
  perAgentPerHour: number;
  perHour: number;
}

export const SPEC_EXTERNAL_CALL_LIMITS: ExternalCallLimits = { perAgentPerHour: 100, perHour: 10_000 };

export function createExternalCallBudget(deps: { limiter: Pick<RateLimiter, 'check'>; limits: ExternalCallLimits }) {
  return {
    /** Takes one external call of the agent, or throws QuotaDeferral until one frees. */
    async spend(agentId: string | null, what: string): Promise<void> {
      const hour = 3_600_000;
      const decision = await deps.limiter.check([
        ...(agentId
          ? [
              {
                name: 'external API calls per agent per hour',
                key: `rate_limit:${agentId}:external_api_calls`,
                limit: deps.limits.perAgentPerHour,
                windowMs: hour,
              },
            ]
          : []),
        {
          name: 'external API calls per hour',
          key: 'rate_limit:global:external_api_calls',
          limit: deps.limits.perHour,
          windowMs: hour,
        },
      ]);
      if (!decision.allowed) {
        throw new QuotaDeferral(
          'externalApiCalls',
          decision.retryAfterSeconds * 1000,
          `${decision.binding.limit} ${decision.binding.name} used up (${what} waits)`,
        );
      }
    },
  };
}

export type ExternalCallBudget = ReturnType<typeof createExternalCallBudget>;
