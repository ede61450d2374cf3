-- Daily counts in shards: each transaction adds its counts to the rows of one shard of its own
-- choosing, and a report sums the shards. Concurrent scans and permits then rarely wait for one
-- another's row locks until commit (one row per day and gate was locked by every scan).
ALTER TABLE daily_gate_counts ADD COLUMN shard INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_gate_counts DROP CONSTRAINT daily_gate_counts_pkey;
ALTER TABLE daily_gate_counts ADD PRIMARY KEY (time_zone, day, gate_id, shard);

ALTER TABLE daily_totals ADD COLUMN shard INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_totals DROP CONSTRAINT daily_totals_pkey;
ALTER TABLE daily_totals ADD PRIMARY KEY (time_zone, day, shard);

ALTER TABLE daily_nationality_counts ADD COLUMN shard INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_nationality_counts DROP CONSTRAINT daily_nationality_counts_pkey;
ALTER TABLE daily_nationality_counts ADD PRIMARY KEY (time_zone, day, gate_id, nationality, shard);
