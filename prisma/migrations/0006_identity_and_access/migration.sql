-- Identity and access (spec "Security Architecture"): users, external identities, sessions with rotating refresh
-- tokens, MFA (TOTP, WebAuthn, recovery codes), service API keys, JWT signing keys, and security alerts.

-- The roles of the spec, plus cfo (the only role that may approve crypto transfers).
CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email VARCHAR(320) NOT NULL UNIQUE CHECK (email = lower(email) AND email LIKE '%_@_%'),
    display_name VARCHAR(255),
    -- argon2id (PHC string); NULL for users who only sign in through an external identity provider.
    password_hash TEXT,
    roles VARCHAR(32)[] NOT NULL DEFAULT '{}'
        CHECK (roles <@ ARRAY['super_admin', 'agent_operator', 'content_reviewer', 'analyst', 'api_user', 'cfo']::VARCHAR(32)[]
               AND COALESCE(array_ndims(roles), 1) = 1),
    -- ABAC attributes: assigned agent/persona ids, clearance, highest task priority the user may execute.
    attributes JSONB NOT NULL DEFAULT '{}',
    -- TOTP secret, encrypted at rest (AES-256-GCM with the configured encryption key). Enrolment is pending until
    -- mfa_enabled_at is set by a first valid code.
    totp_secret_encrypted TEXT,
    mfa_enabled_at TIMESTAMP WITH TIME ZONE,
    locked_until TIMESTAMP WITH TIME ZONE,
    disabled_at TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);

CREATE TRIGGER users_touch_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION chimera_touch_updated_at();

-- Accounts at external OpenID Connect providers (Google Workspace, Azure AD, GitHub via an OIDC bridge, …).
CREATE TABLE user_identities (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    issuer VARCHAR(500) NOT NULL,
    subject VARCHAR(255) NOT NULL,
    email VARCHAR(320),
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    last_login_at TIMESTAMP WITH TIME ZONE,
    UNIQUE (issuer, subject)
);
CREATE INDEX idx_user_identities_user_id ON user_identities(user_id);

-- Single-use recovery codes (they replace the spec's SMS backup: there is no SMS gateway). Stored hashed.
CREATE TABLE recovery_codes (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash VARCHAR(128) NOT NULL,
    used_at TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_recovery_codes_user_id ON recovery_codes(user_id);

CREATE TABLE webauthn_credentials (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id VARCHAR(1024) NOT NULL UNIQUE,
    public_key BYTEA NOT NULL,
    counter BIGINT NOT NULL DEFAULT 0,
    transports VARCHAR(32)[] NOT NULL DEFAULT '{}',
    name VARCHAR(255),
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    last_used_at TIMESTAMP WITH TIME ZONE
);
CREATE INDEX idx_webauthn_credentials_user_id ON webauthn_credentials(user_id);

-- A sign-in. Access tokens name their session (sid), so revoking the session revokes every token of it at once.
CREATE TABLE sessions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    auth_method VARCHAR(32) NOT NULL CHECK (auth_method IN ('password', 'oidc')),
    -- Authentication methods references (RFC 8176): pwd, otp, hwk (WebAuthn), rec (recovery code), fed (OIDC).
    amr VARCHAR(16)[] NOT NULL DEFAULT '{}',
    ip_address INET,
    user_agent TEXT,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    last_seen_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
    -- Last step-up (TOTP or WebAuthn assertion); sensitive operations need one within 5 minutes.
    step_up_at TIMESTAMP WITH TIME ZONE,
    revoked_at TIMESTAMP WITH TIME ZONE,
    revoked_reason VARCHAR(64)
);
CREATE INDEX idx_sessions_user_id ON sessions(user_id);

-- Refresh tokens rotate on every use; presenting one that was already used revokes its whole session (family).
CREATE TABLE refresh_tokens (
    jti UUID PRIMARY KEY,
    session_id UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    issued_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
    used_at TIMESTAMP WITH TIME ZONE,
    replaced_by UUID
);
CREATE INDEX idx_refresh_tokens_session_id ON refresh_tokens(session_id);

-- Service API keys for api_user clients. The secret is shown once; only its SHA-256 is stored.
CREATE TABLE api_keys (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(255) NOT NULL,
    prefix VARCHAR(32) NOT NULL UNIQUE,
    secret_hash VARCHAR(128) NOT NULL,
    roles VARCHAR(32)[] NOT NULL DEFAULT '{api_user}'
        CHECK (roles <@ ARRAY['super_admin', 'agent_operator', 'content_reviewer', 'analyst', 'api_user', 'cfo']::VARCHAR(32)[]
               AND COALESCE(array_ndims(roles), 1) = 1),
    attributes JSONB NOT NULL DEFAULT '{}',
    created_by UUID REFERENCES users(id),
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    last_used_at TIMESTAMP WITH TIME ZONE,
    expires_at TIMESTAMP WITH TIME ZONE,
    revoked_at TIMESTAMP WITH TIME ZONE
);

-- RS256 signing keys. The newest active key signs; retired keys stay published (and verify) until expires_at, so
-- rotation never invalidates a token before it expires. Private keys are encrypted at rest.
CREATE TABLE signing_keys (
    kid VARCHAR(64) PRIMARY KEY,
    algorithm VARCHAR(16) NOT NULL DEFAULT 'RS256' CHECK (algorithm = 'RS256'),
    public_jwk JSONB NOT NULL,
    private_key_encrypted TEXT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    retired_at TIMESTAMP WITH TIME ZONE,
    expires_at TIMESTAMP WITH TIME ZONE
);

-- Security alerts (spec "Escalation Triggers"): stored, streamed to super_admins, optionally sent to on-call.
CREATE TABLE security_alerts (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    kind VARCHAR(64) NOT NULL,
    severity VARCHAR(16) NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    user_id UUID,
    message TEXT NOT NULL,
    details JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    acknowledged_at TIMESTAMP WITH TIME ZONE,
    acknowledged_by UUID
);
CREATE INDEX idx_security_alerts_created_at ON security_alerts(created_at DESC);
