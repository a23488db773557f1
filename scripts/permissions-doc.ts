// Prints docs/permissions.md: the permission matrix of test/auth/matrix.ts as tables, with the conditions spelled out
// and notes on the rules that apply across operations. `--write` writes the file instead of printing it.
// test/auth/permissions-matrix.test.ts fails when the checked-in file differs from what this prints.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { TYPE_CLASSIFICATION } from '../src/domain/auth/classification.js';
import {
  CLASSIFICATIONS,
  PERMISSIONS,
  permissionsOf,
  ROLE_CLEARANCE,
  ROLE_MAX_TASK_PRIORITY,
  ROLES,
  SCOPED_ROLES,
} from '../src/domain/auth/roles.js';
import {
  type Cell,
  OBJECT_TYPES,
  OPERATIONS,
  type OperationType,
  operationKey,
  PRINCIPAL_DESCRIPTIONS,
  PRINCIPALS,
  type PrincipalKind,
} from '../test/auth/matrix.js';

const esc = (s: string) => s.replaceAll('|', '\\|');

function cellText(cell: Cell): string {
  if (cell === 'allow') return '✓';
  if (cell === 'deny') return '✗';
  return `◐ ${esc(cell.when)}`;
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function caseLine(cell: Exclude<Cell, 'allow' | 'deny'>): string {
  const sides = [
    ...cell.allowed.map((c) => `✓ ${c.label}${c.expect === 'ROWS' ? ' (listed)' : ''}`),
    ...cell.denied.map((c) =>
      `✗ ${c.label}${c.expect === 'EMPTY' ? '' : ` (${c.expect ?? 'FORBIDDEN'})`}`.replace(' are left out', ''),
    ),
  ];
  return sides.join(' · ');
}

function counts(cells: Cell[]) {
  return {
    allow: cells.filter((c) => c === 'allow').length,
    deny: cells.filter((c) => c === 'deny').length,
    conditional: cells.filter((c) => typeof c === 'object').length,
    cases: cells.reduce((n, c) => n + (typeof c === 'object' ? c.allowed.length + c.denied.length : 1), 0),
  };
}

const ROLE_OF: Record<PrincipalKind, string | null> = {
  anonymous: null,
  super_admin: 'super_admin',
  agent_operator: 'agent_operator',
  content_reviewer: 'content_reviewer',
  analyst: 'analyst',
  api_user: 'api_user',
  cfo: 'cfo',
};

function principalsTable(): string {
  const rows = PRINCIPALS.map((kind) => {
    const role = ROLE_OF[kind] as (typeof ROLES)[number] | null;
    if (!role) return [`**${kind}**`, '—', '—', '—', '—', esc(PRINCIPAL_DESCRIPTIONS[kind])];
    const granted = permissionsOf([role]);
    const missing = PERMISSIONS.filter((p) => !granted.has(p));
    const perms =
      granted.size > PERMISSIONS.length / 2
        ? `all${missing.length ? ` but ${missing.map((p) => `\`${p}\``).join(', ')}` : ''}`
        : [...granted].map((p) => `\`${p}\``).join(', ');
    return [
      `**${kind}**`,
      perms,
      ROLE_CLEARANCE[role],
      ROLE_MAX_TASK_PRIORITY[role] ?? '—',
      SCOPED_ROLES.has(role) ? 'assigned agents (`attributes.agentIds`)' : 'all',
      esc(PRINCIPAL_DESCRIPTIONS[kind]),
    ];
  });
  return table(['Column', 'Permissions', 'Clearance', 'Max task priority', 'Reach', 'As tested'], rows);
}

function operationsSection(type: OperationType): string {
  const rows = OPERATIONS.filter((r) => r.type === type);
  if (rows.length === 0) return '';
  return [
    `### ${type}`,
    '',
    table(
      ['Field', ...PRINCIPALS, 'Rule'],
      rows.map((r) => [`\`${r.field}\``, ...PRINCIPALS.map((p) => cellText(r.cells[p])), esc(r.rule)]),
    ),
    '',
  ].join('\n');
}

function conditionsSection(): string {
  const out: string[] = [];
  const all = [
    ...OPERATIONS.map((r) => ({ title: operationKey(r), cells: r.cells })),
    ...OBJECT_TYPES.map((r) => ({ title: `${r.type} (object type)`, cells: r.cells })),
  ];
  for (const { title, cells } of all) {
    const lines = PRINCIPALS.flatMap((p) => {
      const cell = cells[p];
      return typeof cell === 'object' ? [`- ${title} × **${p}** — ${cell.when}: ${caseLine(cell)}`] : [];
    });
    out.push(...lines);
  }
  return out.join('\n');
}

function divergencesSection(): string {
  const lines: string[] = [];
  for (const row of OPERATIONS) {
    for (const kind of PRINCIPALS) {
      const whole = row.divergences?.[kind];
      if (whole) lines.push(`- ${operationKey(row)} × **${kind}**: ${whole}`);
      const cell = row.cells[kind];
      if (typeof cell !== 'object') continue;
      for (const c of [...cell.allowed, ...cell.denied]) {
        if (c.divergence) lines.push(`- ${operationKey(row)} × **${kind}**, ${c.label}: ${c.divergence}`);
      }
    }
  }
  return lines.length
    ? [
        '## Known divergences',
        '',
        'Cells where the API currently disagrees with the matrix. The matrix follows the spec where the spec is',
        'explicit, so these cells fail in the test until the API is fixed:',
        '',
        ...lines,
        '',
      ].join('\n')
    : '';
}

export function renderPermissionsDoc(): string {
  const opCells = OPERATIONS.flatMap((r) => PRINCIPALS.map((p) => r.cells[p]));
  const typeCells = OBJECT_TYPES.flatMap((r) => PRINCIPALS.map((p) => r.cells[p]));
  const op = counts(opCells);
  const ty = counts(typeCells);
  const mfaExempt = OPERATIONS.filter((r) => r.mfaExempt).map((r) => `\`${r.field}\``);
  const stepUp = OPERATIONS.filter((r) => /step-up/.test(r.rule)).map((r) => `\`${r.field}\``);
  const lists = OPERATIONS.filter((r) => /\$first: Int/.test(r.query)).map((r) => `\`${r.field}\``);
  const byClassification = CLASSIFICATIONS.map((c) => {
    const types = Object.entries(TYPE_CLASSIFICATION)
      .filter(([, v]) => v === c)
      .map(([k]) => k);
    const cleared = ROLES.filter((r) => CLASSIFICATIONS.indexOf(ROLE_CLEARANCE[r]) >= CLASSIFICATIONS.indexOf(c));
    return [c, types.join(', ') || '—', cleared.join(', ')];
  });

  return `# Permissions

<!-- Generated by scripts/permissions-doc.ts from test/auth/matrix.ts: do not edit by hand.
     Regenerate with \`npx tsx scripts/permissions-doc.ts --write\`. -->

Who may call what. The rules themselves live in one place, the rule tree of \`src/graphql/permissions.ts\` (roles,
permissions and attribute defaults in \`src/domain/auth/roles.ts\`). This page is generated from the matrix in
\`test/auth/matrix.ts\`, and \`test/auth/permissions-matrix.test.ts\` runs every cell below against the API — both
sides of every condition — and fails when a schema field has no row or when this page is stale.

**Operations:** ${OPERATIONS.length} operations × ${PRINCIPALS.length} principals = ${opCells.length} cells: ${op.allow} ✓, ${op.deny} ✗, ${op.conditional} ◐ (${op.cases} cases run).
**Object types:** ${OBJECT_TYPES.length} types × ${PRINCIPALS.length} principals = ${typeCells.length} cells: ${ty.allow} ✓, ${ty.deny} ✗, ${ty.conditional} ◐ (${ty.cases} cases run).

## Legend

| Cell | Meaning |
| --- | --- |
| ✓ | Allowed: the rule tree lets the call through. The operation may still refuse bad input (\`BAD_USER_INPUT\`, \`CONFLICT\`, …). |
| ✗ | Denied: \`UNAUTHENTICATED\` for an anonymous caller, \`FORBIDDEN\` for anyone else. |
| ◐ condition | Allowed when the condition holds. [Conditions](#conditions) lists what is run on each side. "Left out" means a list that leaves the rows out (no error); everything else on the refused side is an error. |

## Principals

${principalsTable()}

Roles combine: a user's permissions are the union of its roles', its clearance the highest, and it is limited to
assigned agents only when every role it holds is a scoped one. The attributes \`clearance\` (lowers, never raises),
\`maxTaskPriority\`, \`agentIds\`, \`personaIds\` and \`boundAgentId\` refine a user or an API key.

## Operations

${operationsSection('Query')}
${operationsSection('Mutation')}
${operationsSection('Subscription')}
## Object types

Every field of an object that implements \`Node\` is guarded by its type's rule, however the object is reached: a
query, a nested relation (\`content.agent\`), \`node(id:)\`, a list, or a mutation's result. The matrix fetches each
through \`node(id:)\`, where nothing but the type rule is at work. A type rule checks, in order: signed in (and the MFA
policy), clearance for the type's classification, one of the reader permissions, then the type's attribute rules. Every
field of an object shares one answer: the rule runs once per object and request (graphql-shield's cache keyed by
the object), so a denied object is refused on every field it was asked for, and its denial is recorded once.

${table(
  ['Type', 'Classification', ...PRINCIPALS, 'Rule'],
  OBJECT_TYPES.map((r) => [
    `\`${r.type}\``,
    TYPE_CLASSIFICATION[r.type] ?? 'restricted',
    ...PRINCIPALS.map((p) => cellText(r.cells[p])),
    esc(r.rule),
  ]),
)}

Types that do not implement \`Node\` (connections, edges, \`PageInfo\`, \`Viewer\`, \`AuthPayload\`, embedded documents
such as \`VoiceTone\` or \`TaskContext\`) are open: they are only reachable through a guarded field.

## Conditions

${conditionsSection()}

${divergencesSection()}
## Notes

- **Deny by default.** The shield's fallback rule is \`deny\`: a Query, Mutation or Subscription field, or a \`Node\`
  type, that the rule tree does not list is \`FORBIDDEN\` to everyone (super_admin included). The matrix test checks
  that no such field exists and that an unlisted field is refused.
- **Data classification.** Each type has a classification; a role brings a clearance, which the \`clearance\`
  attribute can lower. Reaching for data above one's clearance is \`FORBIDDEN\`; for restricted data it also raises a
  \`restricted_resource_access\` alert.

${table(['Classification', 'Types', 'Roles cleared'], byClassification)}

- **Agent scope (ABAC).** agent_operator and api_user reach only the agents in \`attributes.agentIds\`, and the
  personas of those agents or in \`attributes.personaIds\`. Objects outside the scope are \`FORBIDDEN\` (by id, through
  a relation, or as a mutation's target); lists are narrowed to the scope, so other rows are simply not listed.
  Transactions and interactions belong to the agent of their wallet or content.
- **Content sensitivity.** Content whose \`metadata.sensitivity\` is \`sensitive\` or \`prohibited\` is only for callers
  holding \`content:moderate\`, \`content:approve\` or \`content:reject\`: \`FORBIDDEN\` by id, left out of lists.
- **Content status.** \`setContentStatus\` needs \`content:approve\` for APPROVED and PUBLISHED, \`content:reject\` or
  \`content:moderate\` for REJECTED and DRAFT; the transition itself must be allowed (else \`CONFLICT\`).
- **Task priority.** \`createTask\` at a priority above the caller's ceiling is \`FORBIDDEN\`: the role's default
  (super_admin high, agent_operator medium) or the \`maxTaskPriority\` attribute; roles without \`task:execute\` have
  none.
- **Self-modification.** A principal with \`attributes.boundAgentId\` (an agent's own credential) may never update that
  agent's persona: \`FORBIDDEN\`, and a privilege-escalation alert.
- **Step-up.** ${stepUp.join(', ')} need a step-up (\`stepUpWithTotp\` or \`stepUpWithWebAuthn\`) within the last
  \`STEP_UP_WINDOW_SECONDS\` (5 minutes by default) of the session: \`STEP_UP_REQUIRED\` otherwise. API keys have no
  session and can never step up.
- **MFA policy.** A super_admin user must have an authenticator enrolled (TOTP or WebAuthn) and have used it in the
  session (amr \`otp\`, \`hwk\` or \`rec\`) before anything but ${mfaExempt.join(', ')}: \`MFA_REQUIRED\` otherwise.
  The test runs every operation as a super_admin without an authenticator, and the refused ones also as a
  super_admin signed in with a password only. API keys are not subject to it.
- **Bulk export.** A page of more than 100 (\`first\` or \`last\`) is a bulk export and needs \`data:export\`, which only
  super_admin holds: \`FORBIDDEN\` otherwise. Lists: ${lists.join(', ')}.
- **Alerts.** Refusals of the administration operations (\`users:manage\`, \`keys:manage\`) raise a
  \`privilege_escalation_attempt\` alert; every refusal is written to the security audit log (once per field per
  request).
- **Subscriptions.** The rule of a Subscription field is checked when the subscription starts (a refused caller
  gets the error as the only result, before any event) and again for each event. The matrix checks the first result,
  sending events only to allowed subscribers.
- **API keys** carry roles and attributes like users and are checked by the same rules; having no session, they
  cannot enrol an authenticator, step up or rotate signing keys.
`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const doc = renderPermissionsDoc();
  if (process.argv.includes('--write')) {
    writeFileSync(new URL('../docs/permissions.md', import.meta.url), doc);
    process.stdout.write('docs/permissions.md written\n');
  } else {
    process.stdout.write(doc);
  }
}
