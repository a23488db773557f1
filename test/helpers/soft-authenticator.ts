// A software WebAuthn authenticator: an EC P-256 (ES256) key pair that answers registration and authentication
// options the way a browser plus a security key would, producing the JSON the API expects. It builds the bytes
// itself (authenticator data, COSE key, 'none' attestation, DER ECDSA signature), so tests exercise the server's
// verification rather than a library's round trip. Every field can be overridden to forge a bad response.
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;
/** COSE: kty EC2 (2), alg ES256 (-7), crv P-256 (1). */
const COSE = { kty: 1, alg: 3, crv: -1, x: -2, y: -3 } as const;

export interface SoftAuthenticatorOptions {
  /** The origin the "browser" reports in clientDataJSON. */
  origin: string;
  /** The RP ID whose hash goes into the authenticator data (defaults to the options' rp.id / rpId). */
  rpId?: string;
  /** Transports reported at registration. */
  transports?: string[];
}

/** Changes to one ceremony's output, to forge a wrong response. */
export interface Forgery {
  origin?: string;
  rpId?: string;
  challenge?: string;
  type?: string;
  /** The signature counter to report (default: the authenticator's counter, incremented). */
  counter?: number;
  /** Flip a byte of the signature. */
  corruptSignature?: boolean;
}

export type JsonObject = Record<string, unknown>;
type Cbor = Parameters<typeof isoCBOR.encode>[0];

const b64url = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function createSoftAuthenticator(opts: SoftAuthenticatorOptions) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const credentialId = randomBytes(32);
  const aaguid = Buffer.alloc(16);
  let counter = 0;

  const cosePublicKey = Buffer.from(
    isoCBOR.encode(
      new Map<number, Cbor>([
        [COSE.kty, 2],
        [COSE.alg, -7],
        [COSE.crv, 1],
        [COSE.x, new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'))],
        [COSE.y, new Uint8Array(Buffer.from(jwk.y ?? '', 'base64url'))],
      ]),
    ),
  );

  function nextCounter(forgery: Forgery): number {
    if (forgery.counter !== undefined) {
      counter = forgery.counter;
    } else {
      counter += 1;
    }
    return counter;
  }

  function clientData(type: string, challenge: string, forgery: Forgery): Buffer {
    return Buffer.from(
      JSON.stringify({
        type: forgery.type ?? type,
        challenge: forgery.challenge ?? challenge,
        origin: forgery.origin ?? opts.origin,
        crossOrigin: false,
      }),
    );
  }

  function authData(rpId: string, flags: number, count: number, attested?: Buffer): Buffer {
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), u32(count), ...(attested ? [attested] : [])]);
  }

  return {
    /** The credential id, base64url (what the server stores). */
    credentialId: b64url(credentialId),
    /** The COSE public key the server should have stored. */
    cosePublicKey,
    get counter() {
      return counter;
    },
    set counter(value: number) {
      counter = value;
    },

    /** navigator.credentials.create() for PublicKeyCredentialCreationOptionsJSON: a 'none' attestation. */
    register(options: JsonObject, forgery: Forgery = {}): JsonObject {
      const challenge = String(options.challenge);
      const rpId = forgery.rpId ?? opts.rpId ?? String((options.rp as { id?: string } | undefined)?.id);
      const attested = Buffer.concat([
        aaguid,
        Buffer.from([credentialId.length >> 8, credentialId.length & 0xff]),
        credentialId,
        cosePublicKey,
      ]);
      const data = authData(rpId, FLAG_UP | FLAG_UV | FLAG_AT, nextCounter(forgery), attested);
      const attestationObject = isoCBOR.encode(
        new Map<string, Cbor>([
          ['fmt', 'none'],
          ['attStmt', new Map()],
          ['authData', new Uint8Array(data)],
        ]),
      );
      return {
        id: b64url(credentialId),
        rawId: b64url(credentialId),
        type: 'public-key',
        authenticatorAttachment: 'cross-platform',
        clientExtensionResults: {},
        response: {
          clientDataJSON: b64url(clientData('webauthn.create', challenge, forgery)),
          attestationObject: b64url(attestationObject),
          transports: opts.transports ?? ['usb', 'nfc'],
        },
      };
    },

    /** navigator.credentials.get() for PublicKeyCredentialRequestOptionsJSON: an ES256 assertion. */
    assert(options: JsonObject, forgery: Forgery = {}): JsonObject {
      const challenge = String(options.challenge);
      const rpId = forgery.rpId ?? opts.rpId ?? String(options.rpId);
      const data = authData(rpId, FLAG_UP | FLAG_UV, nextCounter(forgery));
      const client = clientData('webauthn.get', challenge, forgery);
      // ECDSA over authenticatorData || SHA-256(clientDataJSON); node:crypto emits DER, as WebAuthn wants.
      const signature = sign('sha256', Buffer.concat([data, sha256(client)]), privateKey);
      if (forgery.corruptSignature) signature[signature.length - 1] = (signature.at(-1) ?? 0) ^ 0xff;
      return {
        id: b64url(credentialId),
        rawId: b64url(credentialId),
        type: 'public-key',
        authenticatorAttachment: 'cross-platform',
        clientExtensionResults: {},
        response: {
          clientDataJSON: b64url(client),
          authenticatorData: b64url(data),
          signature: b64url(signature),
        },
      };
    },
  };
}

export type SoftAuthenticator = ReturnType<typeof createSoftAuthenticator>;
