// Offline plans: a small DAG of tasks read from keywords in the goal. Trends → fetch_trends, and the post that
// follows waits for it; reply/respond/comments → reply_comment; transfer/pay/tip (or "send" with an amount or an
// address) → execute_transaction with the amount, currency and recipient it can read; post/write/share… (or nothing
// recognisable) → generate_content. A goal that only asks to fetch trends gets just that step.
import { maxStepsOf, type Plan, type PlanRequest, type PlanStep, planBodySchema } from './llm.js';
import { offlineMetadata, seedOf, topicOf } from './offline-shared.js';

const TRENDS = /\b(trend(s|ing)?|what'?s hot|news)\b/i;
const FETCH_ONLY = /\b(fetch|find|get|check|scan|list|refresh|collect|monitor|track)\b/i;
const REPLY = /\b(repl(y|ies|ying)|respond|answer|comments?|mentions?)\b/i;
const PAY = /\b(transfer|pay|payment|tip|donate|reimburse|refund)\b/i;
const SEND = /\bsend\b/i;
const CONTENT = /\b(write|tweet|thread|publish|share|announce|draft|caption|generate|create|compose)\b/i;
/** "post" as a verb, not as in "yesterday's post". */
const POST_VERB = /(?<!(?:'s|\bthe|\bmy|\bour|\byour|\bthis|\bthat|\blast|\blatest|\brecent)\s)\bpost\b/i;
const MONEY = /\$\s?(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(eth|usdc|usdt|dai|matic|pol|sol|usd|dollars?|tokens?)\b/i;
const ADDRESS = /\b0x[a-fA-F0-9]{40}\b/;
const RECIPIENT = /\b(?:to|tip|pay)\s+(@[\w.]+)/i;

function transferParams(goal: string): Record<string, string | number> {
  const params: Record<string, string | number> = {};
  const m = MONEY.exec(goal);
  if (m?.[1]) Object.assign(params, { amount: Number(m[1]), currency: 'USD' });
  else if (m?.[2] && m[3]) {
    const unit = m[3].toUpperCase();
    Object.assign(params, {
      amount: Number(m[2]),
      currency: unit.startsWith('DOLLAR') ? 'USD' : unit.replace(/S$/, ''),
    });
  } else {
    const bare = /\b\d+(?:\.\d+)?\b/.exec(goal.replace(ADDRESS, ''));
    if (bare) params.amount = Number(bare[0]);
  }
  const to = ADDRESS.exec(goal)?.[0] ?? RECIPIENT.exec(goal)?.[1];
  if (to) params.to = to;
  return params;
}

export function planOffline(req: PlanRequest): Plan {
  const started = performance.now();
  const seed = seedOf('plan', req.persona, req.goal, req.context, req.maxSteps);
  const { goal, persona } = req;
  const name = persona.name;
  const wantsTrends = TRENDS.test(goal);
  const wantsContent = CONTENT.test(goal) || POST_VERB.test(goal);
  const wantsReply = REPLY.test(goal);
  const wantsPayment = PAY.test(goal) || (SEND.test(goal) && (ADDRESS.test(goal) || MONEY.test(goal)));
  const onlyFetch = wantsTrends && !wantsContent && !wantsReply && !wantsPayment && FETCH_ONLY.test(goal);
  const cues: string[] = [];
  const steps: PlanStep[] = [];

  if (wantsTrends) {
    const topics = [...new Set(persona.beliefs.map((b) => b.topic).filter((t): t is string => !!t))].slice(0, 3);
    steps.push({
      type: 'fetch_trends',
      description: `Fetch current trends relevant to ${name}${topics.length ? ` (${topics.join(', ')})` : ''}.`,
      priority: 'medium',
      dependsOn: [],
      params: { limit: 5 },
    });
    cues.push('the goal mentions trends → fetch_trends');
  }
  if (!onlyFetch && (wantsContent || (!wantsReply && !wantsPayment))) {
    const fetchIndex = steps.findIndex((s) => s.type === 'fetch_trends');
    const topic = fetchIndex >= 0 ? undefined : topicOf(goal, req.context, persona);
    steps.push({
      type: 'generate_content',
      description:
        fetchIndex >= 0
          ? `Write a post in ${name}'s voice about the top trend found in step ${fetchIndex + 1}.`
          : `Write a post in ${name}'s voice${topic ? ` about ${topic}` : ''}.`,
      priority: 'medium',
      dependsOn: fetchIndex >= 0 ? [fetchIndex] : [],
      params: topic ? { topic } : {},
    });
    cues.push(
      fetchIndex >= 0
        ? 'a post about what the trends show waits for them'
        : 'the goal asks for content → generate_content',
    );
  }
  if (wantsReply) {
    const comment = req.context?.find((c) => c.kind === 'comment');
    steps.push({
      type: 'reply_comment',
      description: `Reply to ${comment ? 'the comment in context' : 'recent comments'} in ${name}'s voice.`,
      priority: 'high',
      dependsOn: [],
      params: {},
    });
    cues.push('the goal mentions replies → reply_comment');
  }
  if (wantsPayment) {
    const params = transferParams(goal);
    const what =
      params.amount !== undefined ? `${params.amount}${params.currency ? ` ${params.currency}` : ''}` : 'funds';
    steps.push({
      type: 'execute_transaction',
      description: `Transfer ${what}${params.to ? ` to ${params.to}` : ''} from ${name}'s wallet (subject to approval).`,
      priority: 'medium',
      dependsOn: [],
      params,
    });
    cues.push('the goal asks to pay or transfer → execute_transaction');
  }
  const body = planBodySchema.parse({
    steps: steps.slice(0, maxStepsOf(req)),
    rationale: `Offline keyword plan: ${cues.join('; ') || 'no cue found, so one post'}.`,
  });
  return { ...body, metadata: offlineMetadata(seed, started) };
}
