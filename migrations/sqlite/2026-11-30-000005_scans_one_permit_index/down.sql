CREATE INDEX scans_permit_decision ON scans (permit_id, decision);
