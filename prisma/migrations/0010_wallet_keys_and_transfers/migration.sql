-- Agent wallets that move real money: their keys (encrypted at rest), transfer requests that a CFO approves, and the
-- on-chain record of each transfer sent.

-- wallet_keys: a wallet's private key, sealed with a data key of its own (AES-256-GCM, bound to the wallet's address)
-- that is stored wrapped by a key-encryption key (the configured ENCRYPTION_KEY, or a Vault transit key). A table of
-- its own, so nothing that reads wallets can select a key by accident; no API type maps it.
CREATE TABLE wallet_keys (
    wallet_id UUID PRIMARY KEY REFERENCES wallets(id),
    kek_provider VARCHAR(20) NOT NULL CHECK (kek_provider IN ('local', 'vault')),
    kek_ref VARCHAR(255) NOT NULL,
    wrapped_key TEXT NOT NULL,
    ciphertext TEXT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);

-- An address is one account: two wallets never share it on one chain (addresses are stored EIP-55 checksummed).
CREATE UNIQUE INDEX wallets_blockchain_address_key ON wallets(blockchain, address);

-- transfers: what someone (an operator, an agent's execute_transaction task, an MCP client) asked to send, checked
-- against the spend policy when asked, and waiting for a CFO. Only an approved transfer is ever signed.
CREATE TABLE transfers (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    wallet_id UUID NOT NULL REFERENCES wallets(id),
    agent_id UUID REFERENCES agents(id),
    -- The execute_transaction task that asked for it (one transfer per task).
    task_id UUID UNIQUE REFERENCES tasks(id),
    amount DECIMAL(20,8) NOT NULL CHECK (amount > 0),
    -- The amount in the currency's smallest unit (wei): what is signed.
    amount_base_units NUMERIC(78,0) NOT NULL CHECK (amount_base_units > 0),
    currency VARCHAR(20) NOT NULL,
    recipient VARCHAR(255) NOT NULL,
    reason TEXT NOT NULL CHECK (reason ~ '\S'),
    status VARCHAR(30) NOT NULL DEFAULT 'awaiting_approval' CHECK (status IN (
        'awaiting_approval', 'approved', 'rejected', 'expired', 'cancelled', 'submitted', 'confirmed', 'failed')),
    -- The spend policy's check when it was asked (and again when approved): limits, what was spent, the verdict.
    policy_check JSONB NOT NULL,
    requested_by JSONB NOT NULL,
    requested_by_user_id UUID REFERENCES users(id),
    decided_by UUID REFERENCES users(id),
    decided_at TIMESTAMP WITH TIME ZONE,
    decision_note TEXT,
    error JSONB,
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    version INTEGER NOT NULL DEFAULT 0 CHECK (version >= 0),
    -- Nothing leaves awaiting_approval towards the chain without a person's decision on record.
    CONSTRAINT transfers_decision_recorded CHECK (status NOT IN ('approved', 'submitted', 'confirmed', 'failed', 'rejected') OR (decided_by IS NOT NULL AND decided_at IS NOT NULL)),
    -- Four eyes: whoever asked for a transfer cannot be who decided it.
    CONSTRAINT transfers_four_eyes CHECK (decided_by IS NULL OR requested_by_user_id IS NULL OR decided_by <> requested_by_user_id)
);
CREATE INDEX idx_transfers_wallet_created ON transfers(wallet_id, created_at DESC);
CREATE INDEX idx_transfers_agent_created ON transfers(agent_id, created_at DESC);
CREATE INDEX idx_transfers_open ON transfers(status, expires_at) WHERE status IN ('awaiting_approval', 'approved', 'submitted');

CREATE TRIGGER transfers_touch_updated_at BEFORE UPDATE ON transfers
    FOR EACH ROW EXECUTE FUNCTION chimera_touch_updated_at();
CREATE TRIGGER transfers_notify_change AFTER INSERT OR UPDATE OR DELETE ON transfers
    FOR EACH ROW EXECUTE FUNCTION chimera_notify_change('wallet_id');

-- transactions: the spec's columns, plus what exactly-once sending needs. The signed bytes and their hash are written
-- before the bytes are broadcast; a crashed sender finds them and broadcasts the same bytes again (the same nonce can
-- only be mined once), so a transfer is never sent twice.
ALTER TABLE transactions
    ADD COLUMN transfer_id UUID UNIQUE REFERENCES transfers(id),
    ADD COLUMN from_address VARCHAR(255),
    ADD COLUMN to_address VARCHAR(255),
    ADD COLUMN amount_base_units NUMERIC(78,0) CHECK (amount_base_units > 0),
    ADD COLUMN nonce BIGINT CHECK (nonce >= 0),
    ADD COLUMN raw_transaction TEXT,
    ADD COLUMN block_number BIGINT CHECK (block_number >= 0),
    ADD COLUMN confirmations INTEGER NOT NULL DEFAULT 0 CHECK (confirmations >= 0),
    ADD COLUMN gas_used NUMERIC(78,0) CHECK (gas_used >= 0),
    ADD COLUMN effective_gas_price NUMERIC(78,0) CHECK (effective_gas_price >= 0),
    ADD COLUMN fee_base_units NUMERIC(78,0) CHECK (fee_base_units >= 0),
    ADD COLUMN error TEXT,
    ADD COLUMN broadcast_at TIMESTAMP WITH TIME ZONE,
    ADD COLUMN confirmed_at TIMESTAMP WITH TIME ZONE,
    ADD COLUMN updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW();
-- One live transaction per nonce of a wallet. A failed one leaves the index: one that never reached a block frees its
-- nonce for the transfer's next signature; one that was mined and reverted used its nonce on the chain, and the sender
-- never signs below the chain's own count, so that nonce is not reused.
CREATE UNIQUE INDEX transactions_wallet_nonce_key ON transactions(wallet_id, nonce) WHERE nonce IS NOT NULL AND status <> 'failed';
CREATE INDEX idx_transactions_wallet_created ON transactions(wallet_id, created_at DESC);

CREATE TRIGGER transactions_touch_updated_at BEFORE UPDATE ON transactions
    FOR EACH ROW EXECUTE FUNCTION chimera_touch_updated_at();

-- Defence in depth: the database itself refuses a transaction for a transfer no CFO approved, and one that does not
-- send exactly what was approved (wallet, amount, currency, recipient) — on insert, and on any update that would change
-- those. The transfer's row is read FOR SHARE, so a rejection or withdrawal cannot commit in between.
CREATE FUNCTION chimera_transaction_needs_approval() RETURNS trigger AS $$
DECLARE
    t transfers%ROWTYPE;
BEGIN
    IF NEW.transfer_id IS NULL THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.transfer_id IS NOT DISTINCT FROM OLD.transfer_id
       AND NEW.wallet_id IS NOT DISTINCT FROM OLD.wallet_id AND NEW.amount IS NOT DISTINCT FROM OLD.amount
       AND NEW.amount_base_units IS NOT DISTINCT FROM OLD.amount_base_units
       AND NEW.currency IS NOT DISTINCT FROM OLD.currency AND NEW.to_address IS NOT DISTINCT FROM OLD.to_address THEN
        RETURN NEW;
    END IF;
    SELECT * INTO t FROM transfers WHERE id = NEW.transfer_id FOR SHARE;
    IF TG_OP = 'INSERT' AND (t.status IS DISTINCT FROM 'approved' OR t.decided_by IS NULL) THEN
        RAISE EXCEPTION 'transfer % is not approved (status %): no transaction may be recorded for it', NEW.transfer_id, t.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND t.status NOT IN ('approved', 'submitted') THEN
        RAISE EXCEPTION 'transfer % is %: its transaction cannot be re-pointed or changed', NEW.transfer_id, t.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.wallet_id IS DISTINCT FROM t.wallet_id OR NEW.amount_base_units IS DISTINCT FROM t.amount_base_units
       OR NEW.amount IS DISTINCT FROM t.amount OR NEW.currency IS DISTINCT FROM t.currency
       OR lower(NEW.to_address) IS DISTINCT FROM lower(t.recipient) THEN
        RAISE EXCEPTION 'the transaction does not match transfer % (wallet, amount, currency or recipient)', NEW.transfer_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER transactions_need_approval BEFORE INSERT OR UPDATE ON transactions
    FOR EACH ROW EXECUTE FUNCTION chimera_transaction_needs_approval();
