// npm run totp -- <base32 secret>: prints the current TOTP code (for the demo users, instead of a phone app).
import { base32Decode, totpAt } from '../src/platform/crypto/totp.js';

const secret = process.argv[2];
if (!secret) {
  process.stderr.write('Usage: npm run totp -- <base32 secret>\n');
  process.exit(2);
}
process.stdout.write(`${totpAt(base32Decode(secret), new Date())}\n`);
