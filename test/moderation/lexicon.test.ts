// The word lists and patterns on their own: what each signals, how strongly, and the innocent texts they leave alone.
import { describe, expect, it } from 'vitest';
import { strongest } from '../../src/domain/moderation/hits.js';
import { lexicalHits } from '../../src/domain/moderation/lexicon.js';
import { patternHits } from '../../src/domain/moderation/patterns.js';
import { WEIGHTS, wordListHits } from '../../src/domain/moderation/word-lists.js';

const signals = (text: string) => lexicalHits(text).map((h) => `${h.signal}:${h.term.toLowerCase()}`);

describe('obscenity word lists', () => {
  it('reads slurs as hate speech, through leetspeak and repeated letters', () => {
    expect(wordListHits('go home you ch1nk')).toContainEqual({
      term: 'chink',
      signal: 'hate_speech',
      weight: WEIGHTS.slur,
    });
    expect(strongest(wordListHits('no f4gs here'), 'hate_speech')).toBe(WEIGHTS.slur);
  });

  it('reads sexual words as explicit content', () => {
    expect(strongest(wordListHits('free porn here'), 'explicit_content')).toBe(WEIGHTS.sexual);
  });

  it('reads profanity aimed at someone as harassment, and profanity in passing only as a hint', () => {
    expect(strongest(wordListHits('fuuuck you, clown'), 'harassment')).toBe(WEIGHTS.profanityAimed);
    expect(strongest(wordListHits('@sam is a piece of shit'), 'harassment')).toBe(WEIGHTS.profanityAimed);
    expect(strongest(wordListHits('Holy shit, that concert was unreal.'), 'harassment')).toBe(WEIGHTS.profanity);
  });

  it('keeps clinical words a hint: a health or news text is not explicit for naming anatomy', () => {
    expect(strongest(wordListHits('Sex education should start earlier in schools.'), 'explicit_content')).toBe(
      WEIGHTS.clinical,
    );
  });

  it('leaves innocent words alone', () => {
    for (const text of [
      'She graduated summa cum laude',
      "Shopping at Dick's Sporting Goods",
      'Shiitake mushrooms on toast',
      'The cockpit of a 747',
      'Pussycat Dolls reunion tour',
      'Scunthorpe United won again',
      'my class starts at nine',
    ]) {
      expect(wordListHits(text), text).toEqual([]);
    }
  });
});

describe('patterns', () => {
  it.each([
    ['DM for fake passports', 'illegal_activities'],
    ['selling cc dumps, fresh cvv', 'illegal_activities'],
    ['I can drop off coke and pills tonight', 'illegal_activities'],
    ['ghost gun kits, no serial', 'illegal_activities'],
    ['new nudes in my bio', 'explicit_content'],
    ['immigrants are vermin', 'hate_speech'],
    ["I'm going to find you", 'harassment'],
    ['I know where you live', 'harassment'],
    ['I hope your dog dies', 'harassment'],
    ['you are a worthless clown', 'harassment'],
    ['guaranteed returns every month', 'financial_advice'],
    ['load up on calls before earnings', 'financial_advice'],
    ['take 400mg twice a day', 'medical_information'],
    ['you can quit your antidepressants cold turkey', 'medical_information'],
    ['you can sue them in small claims', 'legal_advice'],
    ['vote for Jane on Tuesday', 'political_content'],
  ])('"%s" signals %s', (text, signal) => {
    expect(patternHits(text).map((h) => h.signal)).toContain(signal);
  });

  it('gives every hit a weight in (0, 1] and the matched words as its term', () => {
    for (const hit of lexicalHits('Guaranteed returns! DM me for fake IDs, you idiot')) {
      expect(hit.weight).toBeGreaterThan(0);
      expect(hit.weight).toBeLessThanOrEqual(1);
      expect(hit.term.length).toBeGreaterThan(0);
    }
  });

  it.each([
    'I am going to kill it at the presentation tomorrow.',
    'Voted best coffee shop in town three years running.',
    'Our book club elected a new president.',
    'I invested way too many hours into this puzzle.',
    'The human heart beats about 100,000 times a day.',
    'Court is in session: pineapple on pizza stands trial.',
    'How compound interest works, explained simply.',
    'Women deserve equal pay for equal work.',
    'Refugees need safe routes and fair hearings.',
  ])('finds nothing strong in "%s"', (text) => {
    const strong = lexicalHits(text).filter((h) => h.weight >= 0.7);
    expect(strong, signals(text).join(', ')).toEqual([]);
  });
});
