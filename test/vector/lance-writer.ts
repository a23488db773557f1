// A separate process writing to a LanceDB store while others do (lancedb.test.ts starts two of these at once):
// `node --import tsx test/vector/lance-writer.ts <dir> <agentId> <batches> <perBatch>`. Each batch upserts records
// of its agent together with a set of shared ids (the same ids in every writer: concurrent merges of the same rows),
// then deletes its odd half. Prints {"written": n, "deleted": n} when done.
import { openLanceDbStore } from '../../src/platform/vector/lancedb.js';
import { memory, randomVector, SHARED_AGENT, SHARED_IDS, SYNTHETIC } from './fixtures.js';

const [dir, agentId, batchesArg, perBatchArg] = process.argv.slice(2);
if (!dir || !agentId) {
  throw new Error('usage: lance-writer.ts <dir> <agentId> <batches> <perBatch>');
} else {
  const batches = Number(batchesArg ?? 10);
  const perBatch = Number(perBatchArg ?? 20);
  const store = await openLanceDbStore({ dir, model: SYNTHETIC });
  let written = 0;
  let deleted = 0;
  for (let b = 0; b < batches; b++) {
    const own = Array.from({ length: perBatch }, (_, i) => ({
      record: memory({ agentId, tags: [i % 2 === 0 ? `keep-${b}` : `drop-${b}`] }),
      vector: randomVector(b * 1000 + i),
    }));
    const common = SHARED_IDS.map((id, i) => ({
      record: memory({ id, agentId: SHARED_AGENT }),
      vector: randomVector(99_000 + i),
    }));
    await store.upsert('AgentMemory', [...own, ...common]);
    written += own.length;
    deleted += await store.deleteWhere('AgentMemory', { agentId, tags: [`drop-${b}`] });
  }
  await store.close();
  process.stdout.write(`${JSON.stringify({ written, deleted })}\n`);
}
