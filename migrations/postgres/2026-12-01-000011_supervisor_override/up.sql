-- A third role, `supervisor`, bound to a gate like an officer, who may override a denial; an
-- overridden scan keeps the reason given and the reason it would have been denied.
ALTER TABLE staff DROP CONSTRAINT staff_role_check, DROP CONSTRAINT staff_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check CHECK (role IN ('officer', 'supervisor', 'admin'));
ALTER TABLE staff ADD CONSTRAINT staff_check
    CHECK ((role IN ('officer', 'supervisor') AND gate_id IS NOT NULL) OR (role = 'admin' AND gate_id IS NULL));
ALTER TABLE scans ADD COLUMN override_reason TEXT;
ALTER TABLE scans ADD COLUMN overridden_reason TEXT;
