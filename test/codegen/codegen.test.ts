// The frontend contract: codegen.ts turns schema.graphql + examples/operations/ into typed documents, and
// examples/client.ts (a typed consumer) compiles against them. A schema change that breaks a frontend operation
// must fail here — either codegen rejects the operations or the consumer stops type-checking. No database needed.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generate } from '@graphql-codegen/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import codegenConfig, { chimeraCodegenConfig } from '../../codegen.js';
import { trustedDocumentsText } from '../../scripts/trusted-documents.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const tsc = path.join(root, 'node_modules/.bin/tsc');
const TIMEOUT = 60_000;

/** Runs `tsc -p <project>`; resolves with its exit code and everything it printed. */
async function typecheck(project: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(tsc, ['-p', project, '--pretty', 'false'], { cwd: root });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? e.message}` };
  }
}

/** Replaces exactly one occurrence, so a schema that no longer has the text fails loudly instead of passing. */
function replaceOnce(text: string, search: RegExp, replacement: string): string {
  const global = new RegExp(search.source, `${search.flags.replace('g', '')}g`);
  const hits = text.match(global)?.length ?? 0;
  if (hits !== 1) throw new Error(`expected exactly one ${String(search)} in schema.graphql, found ${hits}`);
  return text.replace(global, replacement);
}

describe('codegen for frontend consumers', () => {
  it(
    'generates typed documents from schema.graphql and examples/ type-checks against them',
    async () => {
      // generate() is typed `Promise<FileOutput[] | any>` (watch mode); pin the non-watch result.
      const files: { filename: string }[] = await generate({ ...codegenConfig, cwd: root, silent: true }, true);
      expect(files.map((f) => path.relative(root, path.resolve(root, f.filename))).sort()).toEqual([
        'examples/generated/gql.ts',
        'examples/generated/graphql.ts',
        'examples/generated/index.ts',
        'examples/generated/persisted-documents.json',
      ]);
      // The trusted-documents manifest the API accepts is the one codegen makes now (npm run codegen rewrites it).
      const persisted = JSON.parse(
        await readFile(path.join(root, 'examples/generated/persisted-documents.json'), 'utf8'),
      ) as Record<string, string>;
      expect(await readFile(path.join(root, 'trusted-documents.json'), 'utf8'), 'run `npm run codegen`').toBe(
        trustedDocumentsText(persisted),
      );
      const generated = await readFile(path.join(root, 'examples/generated/graphql.ts'), 'utf8');
      expect(generated).toContain('export const ReviewQueueDocument');
      // The scalar mapping reached the output: dates are strings, Decimal never appears as `any`.
      expect(generated).toMatch(/createdAt: string \| null/);
      expect(generated).not.toMatch(/\bany\b/);

      const { code, output } = await typecheck('examples/tsconfig.json');
      expect(output, `tsc -p examples/tsconfig.json failed:\n${output}`).toBe('');
      expect(code).toBe(0);
    },
    TIMEOUT,
  );

  describe('a breaking schema change fails the frontend build', () => {
    let schema: string;
    let dir: string;

    beforeAll(async () => {
      schema = await readFile(path.join(root, 'schema.graphql'), 'utf8');
      dir = await mkdtemp(path.join(tmpdir(), 'chimera-codegen-'));
    });
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** Codegen over a modified copy of the schema into a scratch copy of examples/ (schema.graphql untouched). */
    async function buildAgainst(name: string, modified: string) {
      const work = path.join(dir, name);
      const schemaFile = path.join(work, 'schema.graphql');
      const examples = path.join(root, 'examples');
      for (const file of await readdir(examples)) {
        if (file.endsWith('.ts') || file === 'tsconfig.json')
          await cp(path.join(examples, file), path.join(work, file));
      }
      await writeFile(path.join(work, 'package.json'), '{ "type": "module" }\n');
      await symlink(path.join(root, 'node_modules'), path.join(work, 'node_modules'), 'dir');
      await writeFile(schemaFile, modified);
      const config = chimeraCodegenConfig({
        schema: schemaFile,
        documents: path.join(root, 'examples/operations/*.graphql'),
        outDir: path.join(work, 'generated/'),
      });
      await generate({ ...config, cwd: root, silent: true }, true);
      return typecheck(path.join(work, 'tsconfig.json'));
    }

    it(
      'a renamed field the operations select: codegen rejects the operations, naming the field',
      async () => {
        const renamed = replaceOnce(schema, /^ {2}goalDescription: String$/m, '  goal: String');
        await expect(buildAgainst('renamed-field', renamed)).rejects.toThrow(
          /Cannot query field "goalDescription" on type "TaskContext"/,
        );
      },
      TIMEOUT,
    );

    it(
      'a field made nullable: codegen passes, the consumer no longer type-checks where it reads the field',
      async () => {
        const nullable = replaceOnce(schema, /^ {2}contentData: String!$/m, '  contentData: String');
        const { code, output } = await buildAgainst('nullable-field', nullable);
        expect(code).not.toBe(0);
        expect(output).toMatch(/client\.ts\(\d+,\d+\): error TS\d+: 'node\.contentData' is possibly 'null'/);
      },
      TIMEOUT,
    );

    it(
      'an enum value added: the exhaustive label maps stop type-checking, naming the value',
      async () => {
        const widened = replaceOnce(
          schema,
          /^enum ContentType \{\n {2}AUDIO$/m,
          'enum ContentType {\n  AUDIO\n  CAROUSEL',
        );
        const { code, output } = await buildAgainst('enum-value', widened);
        expect(code).not.toBe(0);
        expect(output).toMatch(/client\.ts\(\d+,\d+\): error TS\d+: Property 'CAROUSEL' is missing/);
      },
      TIMEOUT,
    );
  });
});
