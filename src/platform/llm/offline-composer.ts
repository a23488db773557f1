// The embedded LanguageModel: a deterministic composer that needs no network and no model weights. It assembles
// persona-flavoured text from the persona's voice (descriptors, formality, emoji usage, signature phrases), its
// beliefs and directives, the goal and the context. It is not a language model, and every result says so in its
// metadata (offline: true, label). Same inputs → same output: the wording is picked by a seed hashed from them.
import type { Completion, CompletionRequest, LanguageModel, LlmPersona } from './llm.js';
import { maxLengthOf } from './llm.js';
import { critiqueOffline } from './offline-critic.js';
import { planOffline } from './offline-planner.js';
import {
  beliefFor,
  capitalize,
  endsWithQuestion,
  OFFLINE_MODEL,
  offlineMetadata,
  pick,
  prng,
  seedOf,
  topicOf,
} from './offline-shared.js';
import { avoidedWordsIn, fitToLength, removeAvoidedWords, stripEmoji, tidy } from './text.js';

const OPENERS: Record<string, readonly string[]> = {
  warm: ['Friends,', 'Sharing this one with care:', 'A small thing that made my day:'],
  wry: ['Plot twist:', 'File under "obvious in hindsight":', 'Unpopular opinion, apparently:'],
  precise: ['Concretely:', 'The short version:', 'To be exact:'],
  curious: ['I keep wondering about this:', 'Been digging into this:', "A question I can't shake:"],
  playful: ['Okay, hear me out:', 'Fun fact incoming:'],
  witty: ['News from the department of the obvious:', 'Hot take, lightly toasted:'],
  bold: ['Calling it now:', 'Strong take:'],
  calm: ['A quiet thought:', 'No rush, but consider this:'],
  optimistic: ['Good news, for once:', 'Here is what gives me hope:'],
  skeptical: ['Before we all get excited:', 'Let us check the claims first:'],
  analytical: ['Breaking it down:', 'Looking at the evidence:'],
  enthusiastic: ['This is exciting:', 'Can we talk about this?'],
  friendly: ['Hey all,', 'Quick one for you:'],
  formal: ['A brief note:', 'Worth noting:'],
  professional: ['A brief note:', 'Worth noting:'],
  casual: ['So,', 'Real talk:'],
  inspiring: ['Reminder:', 'Worth remembering:'],
};
const GENERIC_OPENERS = ['A thought:', 'On my mind today:', 'Worth a look:'];

const TOPIC_SENTENCES = {
  casual: ["Everyone's talking about {t}. Here's my take.", "Let's talk about {t}.", "Can't stop thinking about {t}."],
  conversational: ['Been thinking about {t} this week.', 'People keep asking me about {t}.', 'A few thoughts on {t}.'],
  formal: [
    'A note on {t}: it deserves careful attention.',
    'Consider {t}: the implications are substantial.',
    'On {t}, a closer look is warranted.',
  ],
} as const;

const REPLY_OPENERS = {
  casual: ['Love this.', 'Ha, fair point.', 'Thanks for this!'],
  conversational: ['Thanks for raising this.', 'Good point.', 'Appreciate you asking.'],
  formal: ['Thank you for raising this.', 'A fair question.', 'Thank you for the thoughtful comment.'],
} as const;

const QUESTIONS = ['What would you do with {t}?', 'Where do you stand on {t}?', 'What am I missing?'];
const EMOJI = ['✨', '💡', '🔧', '🌱', '🔋', '📈', '🤔', '👀', '🧭', '🛠'];

type Register = keyof typeof TOPIC_SENTENCES;

function register(persona: LlmPersona): Register {
  const f = persona.voiceTone.formality;
  return f < 0.4 ? 'casual' : f > 0.66 ? 'formal' : 'conversational';
}

function fill(template: string, topic: string): string {
  return template.replaceAll('{T}', capitalize(topic)).replaceAll('{t}', topic);
}

interface Parts {
  opener?: string | undefined;
  topicSentence: string;
  belief?: string | undefined;
  signature?: string | undefined;
  closer?: string | undefined;
  emoji: string[];
}

/**
 * Lays the parts out. A signature phrase ending in ':' introduces the sentence after it. Emoji: the first closes
 * the text, the second follows the topic sentence, the third the belief.
 */
function layout(p: Parts): string {
  const intro = p.signature?.trim().endsWith(':');
  const [e1, e2, e3] = p.emoji;
  const out: (string | undefined)[] = [p.opener];
  if (intro && !p.belief) out.push(p.signature);
  out.push(p.topicSentence, e2);
  if (intro && p.belief) out.push(p.signature);
  if (p.belief) out.push(p.belief, e3);
  if (!intro) out.push(p.signature);
  out.push(p.closer, e1);
  return tidy(out.filter((x) => x).join(' '));
}

/** The text for a completion request, and whether anything had to be cut to fit maxLength. */
export function composeText(req: CompletionRequest, seed: number): { text: string; truncated: boolean } {
  const { persona } = req;
  const v = persona.voiceTone;
  const next = prng(seed);
  const reg = register(persona);
  const max = maxLengthOf(req);
  const topic = topicOf(req.instructions, req.context, persona) ?? persona.beliefs[0]?.topic ?? 'what I am building';

  const openers = v.descriptors
    .flatMap((d) => OPENERS[d.toLowerCase()] ?? [])
    .filter((o) => reg !== 'formal' || !/\w'\w/.test(o)); // no contractions in a formal voice
  const opener =
    req.kind === 'reply' ? pick(REPLY_OPENERS[reg], next) : pick(openers.length ? openers : GENERIC_OPENERS, next);
  const usable = v.signaturePhrases.filter((s) => avoidedWordsIn(s, v.wordsToAvoid).length === 0);
  const emojiCount = v.emojiUsage === 'none' ? 0 : v.emojiUsage === 'sparing' ? 1 : 3;
  const emoji = Array.from({ length: emojiCount }, () => pick(EMOJI, next) ?? '✨');
  const parts: Parts = {
    topicSentence: fill(
      req.kind === 'reply' ? 'On {t}, here is how I see it.' : (pick(TOPIC_SENTENCES[reg], next) ?? '{T}.'),
      topic,
    ),
    signature: pick(usable, next),
    emoji,
  };
  const optional: Partial<Parts> = {
    belief: beliefFor(persona, topic),
    closer: endsWithQuestion(persona) ? fill(pick(QUESTIONS, next) ?? '', topic) : undefined,
    opener,
  };
  let text = layout(parts);
  let shortened = false;
  // Add what fits, most characteristic first: a belief, the closing question, the opener.
  for (const key of ['belief', 'closer', 'opener'] as const) {
    if (!optional[key]) continue;
    const candidate = layout({ ...parts, [key]: optional[key] });
    if (candidate.length <= max) {
      parts[key] = optional[key];
      text = candidate;
    }
  }
  if (text.length > max && parts.signature) {
    // Short of room: the shortest signature phrase, kept whole, and a shorter topic sentence around it.
    parts.signature = [...usable].sort((a, b) => a.length - b.length)[0];
    text = layout(parts);
  }
  if (text.length > max && parts.signature) {
    const room = max - layout({ ...parts, topicSentence: '' }).length - 1;
    if (room >= 12) {
      text = layout({ ...parts, topicSentence: fitToLength(parts.topicSentence, room).text });
      shortened = true;
    }
  }
  text = removeAvoidedWords(text, v.wordsToAvoid);
  if (v.emojiUsage === 'none') text = stripEmoji(text);
  const fitted = fitToLength(text, max);
  return { text: fitted.text, truncated: shortened || fitted.truncated };
}

export function createOfflineLanguageModel(): LanguageModel {
  return {
    provider: 'offline',
    model: OFFLINE_MODEL,
    async complete(req): Promise<Completion> {
      const started = performance.now();
      const seed = req.seed ?? seedOf('complete', req.persona, req.instructions, req.kind, req.context, req.maxLength);
      const { text, truncated } = composeText(req, seed);
      return { text, metadata: offlineMetadata(seed, started, truncated ? { truncated } : {}) };
    },
    async plan(req) {
      return planOffline(req);
    },
    async critique(req) {
      return critiqueOffline(req);
    },
  };
}
