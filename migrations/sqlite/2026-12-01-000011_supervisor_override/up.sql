-- A third role, `supervisor`, bound to a gate like an officer, who may override a denial; an
-- overridden scan keeps the reason given and the reason it would have been denied. SQLite cannot
-- change a CHECK: the staff table is made again (no table refers to it).
CREATE TABLE staff_new (
    username TEXT NOT NULL PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('officer', 'supervisor', 'admin')),
    gate_id TEXT REFERENCES gates (id),
    disabled BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    token_generation BIGINT NOT NULL DEFAULT 0,
    CHECK ((role IN ('officer', 'supervisor') AND gate_id IS NOT NULL) OR (role = 'admin' AND gate_id IS NULL))
);
INSERT INTO staff_new (username, password_hash, role, gate_id, disabled, created_at, updated_at, token_generation)
    SELECT username, password_hash, role, gate_id, disabled, created_at, updated_at, token_generation FROM staff;
DROP TABLE staff;
ALTER TABLE staff_new RENAME TO staff;
ALTER TABLE scans ADD COLUMN override_reason TEXT;
ALTER TABLE scans ADD COLUMN overridden_reason TEXT;
