ALTER TABLE scans DROP COLUMN overridden_reason;
ALTER TABLE scans DROP COLUMN override_reason;
CREATE TABLE staff_old (
    username TEXT NOT NULL PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('officer', 'admin')),
    gate_id TEXT REFERENCES gates (id),
    disabled BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    token_generation BIGINT NOT NULL DEFAULT 0,
    CHECK ((role = 'officer' AND gate_id IS NOT NULL) OR (role = 'admin' AND gate_id IS NULL))
);
INSERT INTO staff_old SELECT username, password_hash, role, gate_id, disabled, created_at, updated_at, token_generation
    FROM staff WHERE role <> 'supervisor';
DROP TABLE staff;
ALTER TABLE staff_old RENAME TO staff;
