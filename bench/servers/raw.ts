// The ceiling: node:http answering every request with the same fixed JSON body (the size of the GraphQL answer the
// other servers give), no parsing, no database. Prints the listening line the bench waits for.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const body = process.env.RAW_BODY ?? '{"data":{}}';
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: `http://127.0.0.1:${port}/graphql` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
