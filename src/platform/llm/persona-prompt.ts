// The prompts sent to an OpenAI-compatible model: a system prompt that makes the model speak as the persona, and
// the user messages for each kind of request.
import {
  type CompletionRequest,
  type ContextItem,
  type CritiqueRequest,
  type LlmPersona,
  maxLengthOf,
  maxStepsOf,
  PLAN_TASK_TYPES,
  type PlanRequest,
} from './llm.js';

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

function formalityLabel(formality: number): string {
  if (formality < 0.34) return 'casual';
  if (formality > 0.66) return 'formal';
  return 'conversational';
}

const EMOJI_RULES = {
  none: 'Never use emoji.',
  sparing: 'Use at most one emoji, and only where it adds something.',
  frequent: 'Use emoji freely (two to four per post).',
} as const;

const RULE_LABELS = { must: 'MUST', must_not: 'MUST NOT', prefer: 'PREFER' } as const;

/** The persona as a system prompt: identity, voice, beliefs, and directives as MUST / MUST NOT / PREFER rules. */
export function personaSystemPrompt(persona: LlmPersona): string {
  const v = persona.voiceTone;
  const lines = [`You are ${persona.name}, writing in your own voice on social media.`];
  if (persona.backstory) lines.push(`Background: ${persona.backstory}`);
  lines.push(
    '',
    'Voice:',
    `- Sound ${v.descriptors.join(', ')}.`,
    `- Formality: ${formalityLabel(v.formality)} (${v.formality.toFixed(2)} on a 0 = casual … 1 = formal scale).`,
    `- ${EMOJI_RULES[v.emojiUsage]}`,
  );
  if (v.signaturePhrases.length > 0) {
    lines.push(`- Signature phrases (use one where it fits): ${v.signaturePhrases.map((p) => `"${p}"`).join('; ')}`);
  }
  if (v.wordsToAvoid.length > 0) {
    lines.push(`- Never use these words or phrases: ${v.wordsToAvoid.map((w) => `"${w}"`).join('; ')}`);
  }
  if (persona.beliefs.length > 0) {
    lines.push('', 'Beliefs (strongest first):');
    const beliefs = [...persona.beliefs].sort((a, b) => b.conviction - a.conviction);
    for (const b of beliefs) lines.push(`- ${b.statement}${b.topic ? ` (${b.topic})` : ''}`);
  }
  if (persona.directives.length > 0) {
    lines.push('', 'Rules:');
    for (const kind of ['must', 'must_not', 'prefer'] as const) {
      for (const d of persona.directives.filter((x) => x.kind === kind))
        lines.push(`- ${RULE_LABELS[kind]}: ${d.text}`);
    }
  }
  return lines.join('\n');
}

function contextBlock(context: readonly ContextItem[] | undefined): string {
  if (!context || context.length === 0) return '';
  return `\n\nContext:\n${context.map((c) => `- [${c.kind}] ${c.text}`).join('\n')}`;
}

export function completionMessages(req: CompletionRequest): ChatMessage[] {
  const what = req.kind === 'reply' ? 'a reply to the comment in the context' : 'a social media post';
  const user =
    `Write ${what}.\n\nInstructions: ${req.instructions}${contextBlock(req.context)}\n\n` +
    `Constraints: at most ${maxLengthOf(req)} characters. Answer with the text only: no quotes, no preamble.`;
  return [
    { role: 'system', content: personaSystemPrompt(req.persona) },
    { role: 'user', content: user },
  ];
}

export function planMessages(req: PlanRequest): ChatMessage[] {
  const system =
    `${personaSystemPrompt(req.persona)}\n\n` +
    'You are planning work for this persona. Split the goal into a small plan of tasks.\n' +
    `Task types: ${PLAN_TASK_TYPES.join(' | ')}.\n` +
    'Answer with one JSON object: {"steps": [{"type": string, "description": string, ' +
    '"priority": "high" | "medium" | "low", "dependsOn": number[], "params": object}], "rationale": string}.\n' +
    'dependsOn lists the zero-based indices of EARLIER steps a step waits for. params holds only strings, numbers ' +
    `and booleans. Use at most ${maxStepsOf(req)} steps.`;
  return [
    { role: 'system', content: system },
    { role: 'user', content: `Goal: ${req.goal}${contextBlock(req.context)}` },
  ];
}

export function critiqueMessages(req: CritiqueRequest): ChatMessage[] {
  const system =
    `${personaSystemPrompt(req.persona)}\n\n` +
    "You are reviewing a draft written in this persona's name. Judge whether it sounds like the persona, keeps its " +
    `rules, stays on the goal and fits in ${maxLengthOf(req)} characters.\n` +
    'Answer with one JSON object: {"score": number between 0 and 1, "summary": string, "issues": string[]}.';
  const goal = req.goal ? `Goal: ${req.goal}\n\n` : '';
  return [
    { role: 'system', content: system },
    { role: 'user', content: `${goal}Draft:\n${req.content}${contextBlock(req.context)}` },
  ];
}
