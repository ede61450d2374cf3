-- Folds the shards back into one row per key.
CREATE TABLE daily_gate_counts_folded AS
    SELECT time_zone, day, gate_id, SUM(entries)::BIGINT AS entries, SUM(exits)::BIGINT AS exits,
           SUM(travelers)::BIGINT AS travelers, SUM(denied)::BIGINT AS denied
    FROM daily_gate_counts GROUP BY time_zone, day, gate_id;
DROP TABLE daily_gate_counts;
ALTER TABLE daily_gate_counts_folded RENAME TO daily_gate_counts;
ALTER TABLE daily_gate_counts ADD PRIMARY KEY (time_zone, day, gate_id);

CREATE TABLE daily_totals_folded AS
    SELECT time_zone, day, SUM(travelers)::BIGINT AS travelers, SUM(permits_issued)::BIGINT AS permits_issued
    FROM daily_totals GROUP BY time_zone, day;
DROP TABLE daily_totals;
ALTER TABLE daily_totals_folded RENAME TO daily_totals;
ALTER TABLE daily_totals ADD PRIMARY KEY (time_zone, day);

CREATE TABLE daily_nationality_counts_folded AS
    SELECT time_zone, day, gate_id, nationality, SUM(entries)::BIGINT AS entries, SUM(exits)::BIGINT AS exits
    FROM daily_nationality_counts GROUP BY time_zone, day, gate_id, nationality;
DROP TABLE daily_nationality_counts;
ALTER TABLE daily_nationality_counts_folded RENAME TO daily_nationality_counts;
ALTER TABLE daily_nationality_counts ADD PRIMARY KEY (time_zone, day, gate_id, nationality);
