// WebAuthn: registering a security key or passkey, and stepping up with one. The options and responses are the
// JSON forms of the Web Authentication API (what @simplewebauthn/browser's startRegistration/startAuthentication
// take and return), passed through as JSON.
import { requireUserSession } from '../../domain/auth/step-up.service.js';
import type { WebAuthnCredentialView } from '../../domain/auth/webauthn.service.js';
import { builder } from '../builder.js';
import { StepUp } from './auth.js';

const WebAuthnCredential = builder.objectRef<WebAuthnCredentialView>('WebAuthnCredential').implement({
  description: 'A registered security key or passkey. Its public key stays on the server.',
  fields: (t) => ({
    id: t.globalID({ resolve: (c) => ({ type: 'WebAuthnCredential', id: c.id }) }),
    name: t.exposeString('name', { nullable: true }),
    transports: t.stringList({
      description: 'How the browser can reach it: usb, nfc, ble, internal, hybrid, …',
      resolve: (c) => c.transports,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.mutationFields((t) => ({
  beginWebAuthnRegistration: t.field({
    type: 'JSON',
    description:
      'PublicKeyCredentialCreationOptionsJSON for navigator.credentials.create(); answer within 5 minutes with ' +
      'finishWebAuthnRegistration.',
    resolve: (_r, _a, ctx) => ctx.services.webauthn.registrationOptions(requireUserSession(ctx.principal).userId),
  }),
  finishWebAuthnRegistration: t.field({
    type: WebAuthnCredential,
    description: 'Registers the credential navigator.credentials.create() returned (its JSON form).',
    args: {
      response: t.arg({ type: 'JSON', required: true }),
      name: t.arg.string({ description: 'A label, e.g. "YubiKey on my keyring".' }),
    },
    resolve: (_r, { response, name }, ctx) =>
      ctx.services.webauthn.verifyRegistration(requireUserSession(ctx.principal).userId, response, name),
  }),
  beginWebAuthnStepUp: t.field({
    type: 'JSON',
    description:
      "PublicKeyCredentialRequestOptionsJSON for navigator.credentials.get(), listing the caller's credentials; " +
      'answer within 5 minutes with stepUpWithWebAuthn.',
    resolve: (_r, _a, ctx) => ctx.services.webauthn.authenticationOptions(requireUserSession(ctx.principal).userId),
  }),
  stepUpWithWebAuthn: t.field({
    type: StepUp,
    description:
      'Proves presence with a WebAuthn assertion (the JSON form of what navigator.credentials.get() returned); ' +
      'sensitive operations are then open for 5 minutes.',
    args: { response: t.arg({ type: 'JSON', required: true }) },
    resolve: (_r, { response }, ctx) => ctx.services.stepUp.withWebAuthn(ctx.principal, response, ctx.meta),
  }),
}));
