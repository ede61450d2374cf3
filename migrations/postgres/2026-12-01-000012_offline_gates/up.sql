-- Gates that keep working offline (issue 18).
--
-- Keys: bundle-signing keys live beside the permit keys, told apart by `purpose`; at most one
-- bundle key is active (not retired) at a time. Permit keys keep `active_slot`.
ALTER TABLE signing_keys ADD COLUMN purpose TEXT NOT NULL DEFAULT 'permit' CHECK (purpose IN ('permit', 'bundle'));
CREATE UNIQUE INDEX signing_keys_active_bundle ON signing_keys (purpose) WHERE purpose = 'bundle' AND retired_at IS NULL;

-- The log keeps what the gate device decided offline, which device uploaded it and the bundle
-- version it decided from.
ALTER TABLE scans ADD COLUMN device_id TEXT REFERENCES devices (id);
ALTER TABLE scans ADD COLUMN device_decision TEXT CHECK (device_decision IN ('admit', 'deny'));
ALTER TABLE scans ADD COLUMN device_reason TEXT;
ALTER TABLE scans ADD COLUMN bundle_version BIGINT;

-- A contradiction between crossings, opened by an offline upload: the scan that broke the rule
-- (`scan_id`), the crossing it contradicts if any (`other_scan_id`). Resolved by an administrator
-- with a note, or closed by a later upload that explains it (`explained_by`).
CREATE TABLE conflicts (
    id TEXT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('already_inside', 'wrong_side', 'not_inside', 'revoked',
        'expired', 'not_yet_valid', 'bad_signature', 'unknown_permit')),
    permit_id TEXT REFERENCES permits (id),
    scan_id TEXT NOT NULL REFERENCES scans (id),
    other_scan_id TEXT REFERENCES scans (id),
    gate_id TEXT NOT NULL REFERENCES gates (id),
    opened_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    resolved_at TIMESTAMP,
    resolved_by TEXT,
    explained_by TEXT REFERENCES scans (id),
    note TEXT
);
CREATE INDEX conflicts_status ON conflicts (status, opened_at);
CREATE INDEX conflicts_scan ON conflicts (scan_id);
-- Not partial: a scan asks whether its permit has an open conflict with a bound status, and
-- SQLite would prepare that statement again at every run to see whether a partial index applies.
CREATE INDEX conflicts_permit ON conflicts (permit_id, status);

-- The gate bundle's version (src/db/bundles.rs): presence rows are stamped by the writes that
-- change them, so `?since=VERSION` finds what changed after a version with one index range. On
-- SQLite the version is this counter, moved once per committed batch that changes something; on
-- PostgreSQL rows are stamped with their transaction's id and the counter is not used.
CREATE TABLE bundle_version (
    id BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO bundle_version (id, version) VALUES (1, 1);
CREATE INDEX presence_version ON presence (version);
-- The bundle lists revoked permits not yet expired.
CREATE INDEX permits_revoked ON permits (valid_until) WHERE status = 'revoked';
