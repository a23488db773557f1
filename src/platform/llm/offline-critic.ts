// Offline critique: checks a draft against what can be checked without a model (avoided words, length, emoji
// rules, a signature phrase, the topic, a closing question the persona prefers) and scores it from 1 down.
import { type Critique, type CritiqueRequest, maxLengthOf } from './llm.js';
import { endsWithQuestion, offlineMetadata, seedOf, topicOf } from './offline-shared.js';
import { avoidedWordsIn, countEmoji } from './text.js';

export function critiqueOffline(req: CritiqueRequest): Critique {
  const started = performance.now();
  const seed = seedOf('critique', req.persona, req.content, req.goal, req.context, req.maxLength);
  const v = req.persona.voiceTone;
  const text = req.content.trim();
  const issues: string[] = [];
  let score = 1;
  const penalise = (points: number, issue: string) => {
    score -= points;
    issues.push(issue);
  };

  if (text === '') penalise(1, 'The draft is empty.');
  const avoided = avoidedWordsIn(text, v.wordsToAvoid);
  if (avoided.length > 0) penalise(0.4, `Uses words ${req.persona.name} avoids: ${avoided.join(', ')}.`);
  const max = maxLengthOf(req);
  if (text.length > max) penalise(0.3, `Longer than ${max} characters (${text.length}).`);
  const emoji = countEmoji(text);
  if (v.emojiUsage === 'none' && emoji > 0) penalise(0.2, 'Uses emoji; the persona never does.');
  if (v.emojiUsage === 'sparing' && emoji > 2) penalise(0.1, `Uses ${emoji} emoji; the persona uses them sparingly.`);
  if (v.emojiUsage === 'frequent' && emoji === 0) penalise(0.05, 'No emoji; the persona uses them freely.');
  const lower = text.toLowerCase();
  if (v.signaturePhrases.length > 0 && !v.signaturePhrases.some((p) => lower.includes(p.toLowerCase()))) {
    penalise(0.1, 'No signature phrase.');
  }
  const topic = req.goal ? topicOf(req.goal, req.context, req.persona) : undefined;
  const topicWords = topic?.toLowerCase().match(/[\p{L}\p{N}]{4,}/gu) ?? [];
  if (topic && topicWords.length > 0 && !topicWords.some((w) => lower.includes(w))) {
    penalise(0.2, `Does not mention the topic (${topic}).`);
  }
  if (endsWithQuestion(req.persona) && text !== '' && !text.includes('?')) {
    penalise(0.05, 'Does not end with the question the persona prefers.');
  }

  score = Math.round(Math.min(Math.max(score, 0), 1) * 100) / 100;
  const summary =
    score >= 0.85
      ? `Sounds like ${req.persona.name} and keeps the checkable rules.`
      : score >= 0.6
        ? `Mostly in ${req.persona.name}'s voice; see the issues.`
        : `Off voice or breaks ${req.persona.name}'s rules.`;
  return { score, summary, issues, metadata: offlineMetadata(seed, started) };
}
