// Persona: type, queries, mutations.
import {
  type Belief as BeliefShape,
  beliefsSchema,
  DIRECTIVE_KINDS,
  type Directive as DirectiveShape,
  directivesSchema,
  EMOJI_USAGE,
  readStored,
  type VoiceTone as VoiceToneShape,
  voiceToneSchema,
} from '../../domain/personas/persona.schema.js';
import { assigneeOf } from '../access.js';
import { builder } from '../builder.js';
import { AgentConnection } from './agents.js';
import { connectionOf, enumFromValues } from './common.js';

const EmojiUsage = enumFromValues('EmojiUsage', EMOJI_USAGE, 'How often the persona uses emoji.');
const DirectiveKind = enumFromValues('DirectiveKind', DIRECTIVE_KINDS, 'How binding a directive is.', {
  must: 'Always do this.',
  must_not: 'Never do this.',
  prefer: 'Do this when there is a choice.',
});

const VoiceTone = builder.objectRef<VoiceToneShape>('VoiceTone').implement({
  description: 'How the persona sounds.',
  fields: (t) => ({
    descriptors: t.exposeStringList('descriptors', { description: 'Adjectives such as "warm", "wry", "precise".' }),
    formality: t.exposeFloat('formality', { description: '0 = casual, 1 = formal.' }),
    emojiUsage: t.expose('emojiUsage', { type: EmojiUsage }),
    signaturePhrases: t.exposeStringList('signaturePhrases'),
    wordsToAvoid: t.exposeStringList('wordsToAvoid'),
  }),
});

const Belief = builder.objectRef<BeliefShape>('Belief').implement({
  fields: (t) => ({
    statement: t.exposeString('statement'),
    topic: t.exposeString('topic', { nullable: true }),
    conviction: t.exposeFloat('conviction', { description: 'How strongly it is held, 0..1.' }),
  }),
});

const Directive = builder.objectRef<DirectiveShape>('Directive').implement({
  description: 'A rule the persona follows.',
  fields: (t) => ({ kind: t.expose('kind', { type: DirectiveKind }), text: t.exposeString('text') }),
});

export const Persona = builder.prismaNode('Persona', {
  id: { field: 'id' },
  // node(id:) answers null for an unknown id, as Relay expects, instead of an error.
  nullable: true,
  description: 'An identity: backstory, voice, beliefs and directives. Agents act as a persona.',
  fields: (t) => ({
    name: t.exposeString('name'),
    backstory: t.exposeString('backstory', { nullable: true }),
    voiceTone: t.field({ type: VoiceTone, nullable: true, resolve: (p) => readStored(voiceToneSchema, p.voiceTone) }),
    beliefs: t.field({ type: [Belief], resolve: (p) => readStored(beliefsSchema, p.beliefs) ?? [] }),
    directives: t.field({ type: [Directive], resolve: (p) => readStored(directivesSchema, p.directives) ?? [] }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true }),
    agents: t.relatedConnection(
      'agents',
      {
        cursor: 'id',
        totalCount: true,
        description: 'Agents acting as this persona, newest first.',
        query: () => ({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
      },
      AgentConnection,
    ),
  }),
});

const VoiceToneInput = builder.inputType('VoiceToneInput', {
  fields: (t) => ({
    descriptors: t.stringList({ required: true, description: '1–12 adjectives, each up to 40 characters.' }),
    formality: t.float({ description: '0 = casual, 1 = formal. Default 0.5.' }),
    emojiUsage: t.field({ type: EmojiUsage, description: 'Default SPARING.' }),
    signaturePhrases: t.stringList({ description: 'Up to 10 phrases, each up to 120 characters.' }),
    wordsToAvoid: t.stringList({ description: 'Up to 50 words or phrases.' }),
  }),
});

const BeliefInput = builder.inputType('BeliefInput', {
  fields: (t) => ({
    statement: t.string({ required: true, description: 'Up to 500 characters.' }),
    topic: t.string(),
    conviction: t.float({ description: '0..1, default 0.7.' }),
  }),
});

const DirectiveInput = builder.inputType('DirectiveInput', {
  fields: (t) => ({
    kind: t.field({ type: DirectiveKind, required: true }),
    text: t.string({ required: true, description: 'Up to 500 characters.' }),
  }),
});

const CreatePersonaInput = builder.inputType('CreatePersonaInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Up to 255 characters.' }),
    backstory: t.string({ description: 'Up to 50,000 characters.' }),
    voiceTone: t.field({ type: VoiceToneInput }),
    beliefs: t.field({ type: [BeliefInput], description: 'Up to 50.' }),
    directives: t.field({ type: [DirectiveInput], description: 'Up to 50.' }),
  }),
});

const UpdatePersonaInput = builder.inputType('UpdatePersonaInput', {
  description: 'Fields left out keep their value; null clears backstory, voiceTone, beliefs or directives.',
  fields: (t) => ({
    name: t.string({ description: 'Up to 255 characters.' }),
    backstory: t.string({ description: 'Up to 50,000 characters.' }),
    voiceTone: t.field({ type: VoiceToneInput, description: 'Replaces the whole voice.' }),
    beliefs: t.field({ type: [BeliefInput], description: 'Up to 50; replaces the whole list.' }),
    directives: t.field({ type: [DirectiveInput], description: 'Up to 50; replaces the whole list.' }),
  }),
});

const PersonaFilter = builder.inputType('PersonaFilter', {
  fields: (t) => ({ nameContains: t.string({ description: 'Case-insensitive substring of the name.' }) }),
});

export const PersonaConnection = connectionOf(Persona, 'Persona');

builder.queryFields((t) => ({
  persona: t.prismaField({
    type: 'Persona',
    nullable: true,
    args: { id: t.arg.globalID({ required: true, for: Persona }) },
    resolve: (query, _root, { id }, ctx) => ctx.services.personas.get(id.id, query),
  }),
  personas: t.prismaConnection(
    {
      type: 'Persona',
      cursor: 'id',
      description: 'Personas, newest first.',
      args: { filter: t.arg({ type: PersonaFilter }) },
      totalCount: (_root, args, ctx) =>
        ctx.services.personas.count({ ...args.filter, within: ctx.access.personaScope }),
      resolve: (query, _root, args, ctx) =>
        ctx.services.personas.list({ ...args.filter, within: ctx.access.personaScope }, query),
    },
    PersonaConnection,
  ),
}));

builder.mutationFields((t) => ({
  createPersona: t.prismaField({
    type: 'Persona',
    args: { input: t.arg({ type: CreatePersonaInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const persona = await ctx.services.personas.create(input, ctx.actor, query, assigneeOf(ctx.principal));
      ctx.access.grant({ personaId: persona.id });
      return persona;
    },
  }),
  updatePersona: t.prismaField({
    type: 'Persona',
    args: {
      id: t.arg.globalID({ required: true, for: Persona }),
      input: t.arg({ type: UpdatePersonaInput, required: true }),
    },
    resolve: (query, _root, { id, input }, ctx) => ctx.services.personas.update(id.id, input, ctx.actor, query),
  }),
}));
