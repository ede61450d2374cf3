-- A scan's daily counts read the permit's admitted crossings nearest to it in time (the latest
-- before it and the earliest after it, of any gate and of its own). Keyed by permit, decision and
-- instant, and holding the gate, this index answers each of those four reads with one seek and no
-- read of the table; it also finds a permit's scans, which (permit_id, recorded_at) did.
DROP INDEX scans_permit;
CREATE INDEX scans_permit_crossings ON scans (permit_id, decision, scanned_at, gate_id);
