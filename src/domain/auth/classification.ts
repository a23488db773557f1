// What each kind of object is classified as (the spec's `data_classification` attribute), and content sensitivity.
import type { Classification } from './roles.js';

export const TYPE_CLASSIFICATION: Record<string, Classification> = {
  Trend: 'public',
  Persona: 'internal',
  Agent: 'internal',
  Task: 'internal',
  Goal: 'internal',
  Content: 'internal',
  Interaction: 'internal',
  // Addresses and amounts; an operator requests transfers for its agents, so it must see them. Keys are never data.
  Wallet: 'internal',
  Transaction: 'internal',
  Transfer: 'internal',
  AuditLog: 'confidential',
  SecurityAuditLog: 'restricted',
  User: 'restricted',
  ApiKey: 'restricted',
  SecurityAlert: 'restricted',
};

/** The spec's content categories; `metadata.sensitivity` on a content row (absent: safe). */
export const CONTENT_SENSITIVITIES = ['safe', 'sensitive', 'prohibited'] as const;
export type ContentSensitivity = (typeof CONTENT_SENSITIVITIES)[number];

export function sensitivityOf(metadata: unknown): ContentSensitivity {
  if (metadata && typeof metadata === 'object' && 'sensitivity' in metadata) {
    const s = (metadata as { sensitivity: unknown }).sensitivity;
    if (s === 'sensitive' || s === 'prohibited') return s;
  }
  return 'safe';
}
