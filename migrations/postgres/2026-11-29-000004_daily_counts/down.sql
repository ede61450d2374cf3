DROP INDEX scans_permit_decision;
DROP INDEX presence_inside;
DROP TABLE daily_nationality_counts;
DROP TABLE daily_totals;
DROP TABLE daily_gate_counts;
DROP TABLE stats_zones;
