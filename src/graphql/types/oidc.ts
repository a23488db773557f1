// Sign-in with an external OpenID Connect provider: the client brings the provider's ID token.
import { builder } from '../builder.js';
import { AuthPayload } from './auth.js';

builder.mutationFields((t) => ({
  loginWithOidc: t.field({
    type: AuthPayload,
    description:
      'Signs in with an ID token from a configured OpenID Connect issuer (Google Workspace, Azure AD, …). The first ' +
      'sign-in links the identity to the user with the same verified email, or creates one with the issuer’s default ' +
      'roles. Sessions opened this way carry amr `fed`.',
    args: {
      issuer: t.arg.string({
        required: true,
        description: 'The issuer URL exactly as configured, e.g. https://accounts.google.com.',
      }),
      idToken: t.arg.string({ required: true }),
    },
    resolve: (_r, { issuer, idToken }, ctx) => ctx.services.oidc.login(issuer, idToken, ctx.meta),
  }),
}));
