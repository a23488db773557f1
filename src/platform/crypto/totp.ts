// TOTP (RFC 6238) over HMAC-SHA1, 6 digits, 30-second steps — what every authenticator app speaks.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(buf: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/=+$/, '').replace(/\s+/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const index = ALPHABET.indexOf(ch);
    if (index < 0) throw new Error('Invalid base32 character.');
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** HOTP (RFC 4226) for a counter. */
export function hotp(secret: Buffer, counter: number, digits = 6): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', secret).update(msg).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return code.toString().padStart(digits, '0');
}

export const TOTP_STEP_SECONDS = 30;

export function totpAt(secret: Buffer, time: Date, digits = 6): string {
  return hotp(secret, Math.floor(time.getTime() / 1000 / TOTP_STEP_SECONDS), digits);
}

/**
 * Checks a code against the current step and one step either side (clock drift). Returns the matching step, so a
 * caller can refuse a code already used (replay).
 */
export function verifyTotp(secret: Buffer, code: string, time = new Date(), window = 1): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const step = Math.floor(time.getTime() / 1000 / TOTP_STEP_SECONDS);
  for (let d = -window; d <= window; d++) {
    const candidate = Buffer.from(hotp(secret, step + d));
    if (timingSafeEqual(candidate, Buffer.from(code))) return step + d;
  }
  return null;
}

export function newTotpSecret(): Buffer {
  return randomBytes(20);
}

export function otpauthUri(secret: Buffer, account: string, issuer: string): string {
  const label = encodeURIComponent(`${issuer}:${account}`);
  const params = new URLSearchParams({
    secret: base32Encode(secret),
    issuer,
    algorithm: 'SHA1',
    digits: '6',
    period: '30',
  });
  return `otpauth://totp/${label}?${params.toString()}`;
}
