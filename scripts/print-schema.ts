// Prints the code-first schema to schema.graphql (checked in; a test fails when it is stale).
import { writeFileSync } from 'node:fs';
import { printSchemaSDL } from '../src/graphql/schema.js';

writeFileSync(new URL('../schema.graphql', import.meta.url), printSchemaSDL());
process.stdout.write('schema.graphql written\n');
