// The Weaviate store against a real Weaviate server: the contract suite, each test under a class prefix of its own.
// No Weaviate server can run on the development machines (docs/memory.md): the suite runs when WEAVIATE_URL points
// at one (e.g. `docker compose up -d weaviate` and WEAVIATE_URL=http://127.0.0.1:8080) and is reported skipped
// otherwise. What can be checked without a server is in weaviate-schema.test.ts.
import { randomBytes } from 'node:crypto';
import { describe } from 'vitest';
import weaviate, { ApiKey } from 'weaviate-client';
import { loadConfig } from '../../src/config.js';
import { openWeaviateMaintenance, openWeaviateStore } from '../../src/platform/vector/weaviate.js';
import { type StoreHarness, vectorStoreContract } from './contract.js';

const { weaviateUrl, weaviateApiKey } = loadConfig().memory.vectorStore;

function harness(url: string): StoreHarness {
  return {
    newLocation: async () => `ChimeraT${randomBytes(4).toString('hex')}`,
    open: (classPrefix, model) =>
      openWeaviateStore({ url, apiKey: weaviateApiKey, model, classPrefix, metaRefreshMs: 0 }),
    maintenance: (classPrefix) => openWeaviateMaintenance({ url, apiKey: weaviateApiKey, classPrefix }),
    async dispose(classPrefix) {
      const u = new URL(url);
      const client = await weaviate.connectToCustom({
        httpHost: u.hostname,
        httpPort: Number(u.port) || (u.protocol === 'https:' ? 443 : 80),
        httpSecure: u.protocol === 'https:',
        grpcHost: u.hostname,
        grpcPort: 50051,
        grpcSecure: u.protocol === 'https:',
        ...(weaviateApiKey ? { authCredentials: new ApiKey(weaviateApiKey) } : {}),
      });
      try {
        for (const c of await client.collections.listAll()) {
          if (c.name.startsWith(classPrefix)) await client.collections.delete(c.name);
        }
      } finally {
        await client.close();
      }
    },
  };
}

describe.skipIf(!weaviateUrl)(
  weaviateUrl
    ? `Weaviate store at ${weaviateUrl}: the contract`
    : 'Weaviate store: the contract — SKIPPED: WEAVIATE_URL is not set (no Weaviate server on this machine)',
  () => {
    vectorStoreContract(harness(weaviateUrl as string));
  },
);
