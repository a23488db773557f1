// Reads exact byte counts from a stream (for the snapshot and archive formats).
import type { Readable } from 'node:stream';

export class ByteReader {
  private buffered: Buffer[] = [];
  private length = 0;
  private done = false;
  private readonly chunks: AsyncIterator<Buffer | string>;

  constructor(source: Readable) {
    this.chunks = source[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<boolean> {
    while (this.length < n && !this.done) {
      const next = await this.chunks.next();
      if (next.done) {
        this.done = true;
        break;
      }
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      this.buffered.push(chunk);
      this.length += chunk.length;
    }
    return this.length >= n;
  }

  /** Exactly n bytes, or null at the end of the stream when nothing is left; throws on a partial read. */
  async read(n: number): Promise<Buffer | null> {
    if (!(await this.fill(n))) {
      if (this.length === 0) return null;
      throw new Error(`unexpected end of data (${this.length} of ${n} bytes)`);
    }
    const all = this.buffered.length === 1 ? (this.buffered[0] as Buffer) : Buffer.concat(this.buffered, this.length);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.buffered = rest.length ? [rest] : [];
    this.length = rest.length;
    return out;
  }

  /** Exactly n bytes; throws at the end of the stream. */
  async need(n: number): Promise<Buffer> {
    const b = await this.read(n);
    if (!b) throw new Error(`unexpected end of data (0 of ${n} bytes)`);
    return b;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  /** Reads the source to its end (so a checking stream upstream sees all of it); returns the bytes skipped. */
  async drain(): Promise<number> {
    let skipped = this.length;
    this.buffered = [];
    this.length = 0;
    while (!this.done) {
      const next = await this.chunks.next();
      if (next.done) this.done = true;
      else skipped += next.value.length;
    }
    return skipped;
  }

  /** Stops reading the source. */
  async close(): Promise<void> {
    await this.chunks.return?.();
  }
}
