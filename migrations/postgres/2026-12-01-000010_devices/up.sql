-- Gate devices (issue 18): each registered by an administrator for one gate. The device token is
-- shown once and stored only as its SHA-256 hash; a revoked device's token stops working at once.
CREATE TABLE devices (
    id TEXT NOT NULL PRIMARY KEY,
    gate_id TEXT NOT NULL REFERENCES gates (id),
    label TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP,
    revoked_at TIMESTAMP
);

CREATE INDEX devices_gate ON devices (gate_id);
