DROP INDEX scans_permit_crossings;
CREATE INDEX scans_permit ON scans (permit_id, recorded_at);
