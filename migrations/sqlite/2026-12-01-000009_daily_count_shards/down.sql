CREATE TABLE daily_gate_counts_folded (
    time_zone TEXT NOT NULL, day DATE NOT NULL, gate_id TEXT NOT NULL, entries BIGINT NOT NULL,
    exits BIGINT NOT NULL, travelers BIGINT NOT NULL, denied BIGINT NOT NULL,
    PRIMARY KEY (time_zone, day, gate_id)
);
INSERT INTO daily_gate_counts_folded
    SELECT time_zone, day, gate_id, SUM(entries), SUM(exits), SUM(travelers), SUM(denied)
    FROM daily_gate_counts GROUP BY time_zone, day, gate_id;
DROP TABLE daily_gate_counts;
ALTER TABLE daily_gate_counts_folded RENAME TO daily_gate_counts;

CREATE TABLE daily_totals_folded (
    time_zone TEXT NOT NULL, day DATE NOT NULL, travelers BIGINT NOT NULL, permits_issued BIGINT NOT NULL,
    PRIMARY KEY (time_zone, day)
);
INSERT INTO daily_totals_folded
    SELECT time_zone, day, SUM(travelers), SUM(permits_issued) FROM daily_totals GROUP BY time_zone, day;
DROP TABLE daily_totals;
ALTER TABLE daily_totals_folded RENAME TO daily_totals;

CREATE TABLE daily_nationality_counts_folded (
    time_zone TEXT NOT NULL, day DATE NOT NULL, gate_id TEXT NOT NULL, nationality TEXT NOT NULL,
    entries BIGINT NOT NULL, exits BIGINT NOT NULL,
    PRIMARY KEY (time_zone, day, gate_id, nationality)
);
INSERT INTO daily_nationality_counts_folded
    SELECT time_zone, day, gate_id, nationality, SUM(entries), SUM(exits)
    FROM daily_nationality_counts GROUP BY time_zone, day, gate_id, nationality;
DROP TABLE daily_nationality_counts;
ALTER TABLE daily_nationality_counts_folded RENAME TO daily_nationality_counts;
