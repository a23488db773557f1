// Writes trusted-documents.json — the operations the API accepts by id (PERSISTED_OPERATIONS=only) — from the
// persisted-documents.json that `graphql-codegen` makes of examples/operations. Run by `npm run codegen`; a test
// fails when the checked-in manifest is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The manifest's text: ids sorted, so it changes only when an operation does. */
export function trustedDocumentsText(documents: Record<string, string>): string {
  const sorted = Object.fromEntries(Object.entries(documents).sort(([a], [b]) => a.localeCompare(b)));
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const generated = JSON.parse(readFileSync(`${ROOT}examples/generated/persisted-documents.json`, 'utf8')) as Record<
    string,
    string
  >;
  writeFileSync(`${ROOT}trusted-documents.json`, trustedDocumentsText(generated));
  process.stdout.write(`trusted-documents.json: ${Object.keys(generated).length} operations\n`);
}
