// The obscenity word lists: `obscenity`'s English dataset with its recommended transformers (leetspeak, confusable
// letters, repeated letters: "f4g", "fuuuck", "ch1nk"), its words grouped by what they signal.
import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from 'obscenity';
import { dedupe, type LexicalHit } from './hits.js';

/** Slurs against a group: hate speech on their own. */
const SLURS = new Set([
  'abo',
  'abeed',
  'africoon',
  'arabush',
  'boonga',
  'chingchong',
  'chink',
  'dyke',
  'fag',
  'kike',
  'negro',
  'nigger',
  'retard',
  'spastic',
  'tranny',
]);

/** Unambiguously sexual words: explicit content on their own. */
const SEXUAL = new Set([
  'bestiality',
  'blowjob',
  'buttplug',
  'cum',
  'deepthroat',
  'dildo',
  'doggystyle',
  'double penetration',
  'felch',
  'fellatio',
  'finger bang',
  'fisting',
  'gangbang',
  'handjob',
  'hentai',
  'jerk off',
  'jizz',
  'lubejob',
  'masturbate',
  'orgy',
  'porn',
]);

/** Sexual words that are also insults ("you dick"): explicit, and abuse when aimed at someone. */
const SEXUAL_INSULTS = new Set(['boob', 'cock', 'dick', 'pussy', 'slut', 'tit', 'whore', 'wank']);

/** Anatomy and clinical words: innocent in health, news and social-issue texts; only a hint, never enough alone. */
const CLINICAL = new Set([
  'anal',
  'anus',
  'ejaculate',
  'hooker',
  'incest',
  'orgasm',
  'penis',
  'rape',
  'scat',
  'semen',
  'sex',
  'vagina',
]);

// Everything else in the dataset (fuck, shit, bitch, cunt, bastard, …) is profanity: abuse when aimed at someone,
// and only a hint otherwise ("holy shit, that concert").

export const WEIGHTS = {
  slur: 0.95,
  sexual: 0.9,
  sexualInsult: 0.6,
  clinical: 0.25,
  profanityAimed: 0.65,
  profanity: 0.25,
} as const;

/** Innocent words the dataset's patterns would otherwise catch. */
const WHITELIST = [
  'cum laude',
  'summa cum',
  'magna cum',
  "dick's",
  'moby dick',
  'shiitake',
  'shih tzu',
  'shitzu',
  'cockpit',
  'cockroach',
  'peacock',
  'hancock',
  'pussycat',
  'pussy willow',
  'penistone',
  'titmouse',
  'scattered',
  'scatter',
];

const built = englishDataset.build();
const matcher = new RegExpMatcher({
  ...built,
  whitelistedTerms: [...(built.whitelistedTerms ?? []), ...WHITELIST],
  ...englishRecommendedTransformers,
});

/** "you", "your", "u", "@someone": the sentence is aimed at a person. */
const AIMED = /\b(you|your|you're|youre|ur|u|ya|yourself|yours)\b|@\w+/i;

function sentenceAt(text: string, index: number): string {
  const start = Math.max(...['.', '!', '?', '\n'].map((p) => text.lastIndexOf(p, index - 1))) + 1;
  const ends = ['.', '!', '?', '\n'].map((p) => text.indexOf(p, index)).filter((i) => i >= 0);
  return text.slice(start, ends.length ? Math.min(...ends) : text.length);
}

export function wordListHits(text: string): LexicalHit[] {
  const hits: LexicalHit[] = [];
  for (const match of matcher.getAllMatches(text, true)) {
    const word = englishDataset.getPayloadWithPhraseMetadata(match).phraseMetadata?.originalWord;
    if (!word) continue;
    const aimed = AIMED.test(sentenceAt(text, match.startIndex));
    if (SLURS.has(word)) hits.push({ term: word, signal: 'hate_speech', weight: WEIGHTS.slur });
    else if (SEXUAL.has(word)) hits.push({ term: word, signal: 'explicit_content', weight: WEIGHTS.sexual });
    else if (SEXUAL_INSULTS.has(word)) {
      hits.push({ term: word, signal: 'explicit_content', weight: WEIGHTS.sexualInsult });
      if (aimed) hits.push({ term: word, signal: 'harassment', weight: WEIGHTS.profanityAimed });
    } else if (CLINICAL.has(word)) hits.push({ term: word, signal: 'explicit_content', weight: WEIGHTS.clinical });
    else
      hits.push({
        term: word,
        signal: 'harassment',
        weight: aimed ? WEIGHTS.profanityAimed : WEIGHTS.profanity,
      });
  }
  return dedupe(hits);
}
