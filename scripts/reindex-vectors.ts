// npm run memory:reindex [-- --check | --optimize] [--collection AgentMemory …] [--batch 256]
// Re-embeds every record of the vector store (AgentMemory.content, ContentEmbedding.text, TrendAnalysis topic +
// keywords) with the configured embedding model (EMBEDDINGS_PROVIDER, EMBEDDINGS_MODEL, EMBEDDINGS_DIMENSION) into
// fresh tables (Weaviate: classes) and swaps them in, then optimizes. Run it after changing the embedding model, with
// the API and workers stopped (records they write during the run are not carried over).
//   --check     only print each collection's model and size; exit 1 if one differs from the configured model
//   --optimize  only build the indexes that are due and compact storage (no re-embedding)
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigWithSecrets } from '../src/config.js';
import { createEmbedder } from '../src/platform/embeddings/create-embedder.js';
import { describeModel, EmbeddingError, sameModel } from '../src/platform/embeddings/embeddings.js';
import { openVectorStore, openVectorStoreMaintenance } from '../src/platform/vector/create-vector-store.js';
import { describeReindex, reindexVectorStore } from '../src/platform/vector/reindex.js';
import { COLLECTIONS, type CollectionName, VectorStoreError } from '../src/platform/vector/vector-store.js';

const { values } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    optimize: { type: 'boolean', default: false },
    collection: { type: 'string', multiple: true, default: [] },
    batch: { type: 'string', default: '256' },
  },
});

const out = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const config = await loadConfigWithSecrets();
  const settings = config.memory.vectorStore;
  const embedder = createEmbedder(config.memory.embeddings);
  const where = settings.kind === 'lancedb' ? settings.dir : settings.weaviateUrl;
  const unknown = values.collection.filter((c) => !(COLLECTIONS as readonly string[]).includes(c));
  const batchSize = Number(values.batch);
  if (unknown.length > 0 || !Number.isInteger(batchSize) || batchSize < 1) {
    process.stderr.write(`Collections are ${COLLECTIONS.join(', ')}; --batch is a positive integer.\n`);
    return 2;
  }
  const collections = values.collection.length > 0 ? (values.collection as CollectionName[]) : COLLECTIONS;
  out(`Vector store: ${settings.kind} at ${where}; configured model: ${describeModel(embedder.id)}`);

  if (values.optimize) return optimize();

  const maintenance = await openVectorStoreMaintenance(settings);
  try {
    const models = await maintenance.models();
    let differs = false;
    for (const c of collections) {
      const model = models[c];
      const matches = model !== null && sameModel(model, embedder.id);
      differs ||= model !== null && !matches;
      out(
        `  ${c}: ${await maintenance.count(c)} records, ${model ? describeModel(model) : 'not created yet'}${model && !matches ? ' *' : ''}`,
      );
    }
    if (values.check) {
      out(differs ? '* differs from the configured model: run `npm run memory:reindex`.' : 'Every collection matches.');
      return differs ? 1 : 0;
    }
    const results = await reindexVectorStore(maintenance, embedder, {
      collections,
      batchSize,
      onProgress: ({ collection, done, total }) => process.stderr.write(`\r  ${collection}: ${done}/${total}   `),
    });
    process.stderr.write('\n');
    for (const r of results) out(describeReindex(r));
    out(`Re-embedded ${results.reduce((n, r) => n + r.records, 0)} records in all.`);
  } finally {
    await maintenance.close();
  }
  return optimize();

  async function optimize(): Promise<number> {
    const store = await openVectorStore(settings, embedder.id);
    try {
      if (!store.optimize) {
        out(`${settings.kind} maintains its indexes itself: nothing to optimize.`);
        return 0;
      }
      const report = await store.optimize();
      for (const [c, r] of Object.entries(report.collections)) {
        const actions = r.actions.length > 0 ? r.actions.join('; ') : 'nothing due';
        out(`  optimize ${c} (${r.rows} rows, vector index: ${r.vectorIndex ? 'yes' : 'no'}): ${actions}`);
      }
      return 0;
    } finally {
      await store.close();
    }
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  if (err instanceof ConfigError || err instanceof VectorStoreError || err instanceof EmbeddingError) {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
  } else {
    throw err;
  }
}
