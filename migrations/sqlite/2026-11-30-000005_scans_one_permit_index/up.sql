-- scans (permit_id, recorded_at) already finds a permit's scans; a second index on
-- (permit_id, decision) only added one more page to write for every scan.
DROP INDEX scans_permit_decision;
