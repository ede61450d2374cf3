-- Staff accounts. Officers are bound to one gate; administrators to none.
CREATE TABLE staff (
    username TEXT NOT NULL PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('officer', 'admin')),
    gate_id TEXT REFERENCES gates (id),
    disabled BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((role = 'officer' AND gate_id IS NOT NULL) OR (role = 'admin' AND gate_id IS NULL))
);

-- Failed logins per username and per client address, shared by every instance.
CREATE TABLE login_failures (
    throttle_key TEXT NOT NULL PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    blocked_until TIMESTAMP
);

-- Secrets every instance shares (the access-token key), sealed under the key-encryption key.
CREATE TABLE service_secrets (
    name TEXT NOT NULL PRIMARY KEY,
    sealed_value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Where each permit's holder is now. One row per permit, made with the permit; every scan
-- locks it (an UPDATE) before reading it, so two scans of one permit never decide at once.
CREATE TABLE presence (
    permit_id TEXT NOT NULL PRIMARY KEY REFERENCES permits (id),
    inside BOOLEAN NOT NULL,
    side TEXT CHECK (side IN ('CHN', 'KAZ')),
    gate_id TEXT REFERENCES gates (id),
    since TIMESTAMP,
    version BIGINT NOT NULL
);

INSERT INTO presence (permit_id, inside, side, gate_id, since, version)
SELECT id, FALSE, NULL, NULL, NULL, 0 FROM permits;

-- The one crossing log: every scan at every gate, admitted or denied. Append-only.
-- A replay is rebuilt from the row and its permit; `permit_status` keeps the status as it was.
CREATE TABLE scans (
    id TEXT NOT NULL PRIMARY KEY,
    nonce TEXT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL,
    permit_id TEXT REFERENCES permits (id),
    gate_id TEXT NOT NULL REFERENCES gates (id),
    side TEXT NOT NULL CHECK (side IN ('CHN', 'KAZ')),
    direction TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),
    decision TEXT NOT NULL CHECK (decision IN ('admit', 'deny')),
    reason TEXT,
    flags TEXT NOT NULL,
    nationality TEXT,
    officer TEXT NOT NULL,
    permit_status TEXT CHECK (permit_status IN ('active', 'revoked')),
    scanned_at TIMESTAMP NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);

CREATE INDEX scans_permit ON scans (permit_id, recorded_at);
CREATE INDEX scans_scanned_at ON scans (scanned_at);

CREATE FUNCTION scans_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the crossing log is append-only';
END;
$$;

CREATE TRIGGER scans_append_only_update BEFORE UPDATE OR DELETE ON scans
    FOR EACH ROW EXECUTE FUNCTION scans_append_only();
CREATE TRIGGER scans_append_only_truncate BEFORE TRUNCATE ON scans
    FOR EACH STATEMENT EXECUTE FUNCTION scans_append_only();
