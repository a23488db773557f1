// Prisma CLI configuration. The database URL comes from the one config object (src/config.ts).
import { defineConfig } from 'prisma/config';
import { loadConfig } from './src/config.js';

export default defineConfig({
  schema: './prisma/schema.prisma',
  migrations: { path: './prisma/migrations', seed: 'tsx src/cli/bin.ts seed' },
  datasource: { url: loadConfig().databaseUrl },
});
