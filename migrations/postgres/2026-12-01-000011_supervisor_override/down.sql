ALTER TABLE scans DROP COLUMN overridden_reason;
ALTER TABLE scans DROP COLUMN override_reason;
ALTER TABLE staff DROP CONSTRAINT staff_role_check, DROP CONSTRAINT staff_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check CHECK (role IN ('officer', 'admin'));
ALTER TABLE staff ADD CONSTRAINT staff_check
    CHECK ((role = 'officer' AND gate_id IS NOT NULL) OR (role = 'admin' AND gate_id IS NULL));
