-- Daily counts in shards (see the PostgreSQL migration). SQLite has one writer, so it always
-- writes shard 0; the column and keys are the same on both backends. SQLite cannot change a
-- primary key in place: each table is made anew and its rows copied.
CREATE TABLE daily_gate_counts_sharded (
    time_zone TEXT NOT NULL,
    day DATE NOT NULL,
    gate_id TEXT NOT NULL,
    entries BIGINT NOT NULL,
    exits BIGINT NOT NULL,
    travelers BIGINT NOT NULL,
    denied BIGINT NOT NULL,
    shard INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (time_zone, day, gate_id, shard)
);
INSERT INTO daily_gate_counts_sharded (time_zone, day, gate_id, entries, exits, travelers, denied, shard)
    SELECT time_zone, day, gate_id, entries, exits, travelers, denied, 0 FROM daily_gate_counts;
DROP TABLE daily_gate_counts;
ALTER TABLE daily_gate_counts_sharded RENAME TO daily_gate_counts;

CREATE TABLE daily_totals_sharded (
    time_zone TEXT NOT NULL,
    day DATE NOT NULL,
    travelers BIGINT NOT NULL,
    permits_issued BIGINT NOT NULL,
    shard INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (time_zone, day, shard)
);
INSERT INTO daily_totals_sharded (time_zone, day, travelers, permits_issued, shard)
    SELECT time_zone, day, travelers, permits_issued, 0 FROM daily_totals;
DROP TABLE daily_totals;
ALTER TABLE daily_totals_sharded RENAME TO daily_totals;

CREATE TABLE daily_nationality_counts_sharded (
    time_zone TEXT NOT NULL,
    day DATE NOT NULL,
    gate_id TEXT NOT NULL,
    nationality TEXT NOT NULL,
    entries BIGINT NOT NULL,
    exits BIGINT NOT NULL,
    shard INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (time_zone, day, gate_id, nationality, shard)
);
INSERT INTO daily_nationality_counts_sharded (time_zone, day, gate_id, nationality, entries, exits, shard)
    SELECT time_zone, day, gate_id, nationality, entries, exits, 0 FROM daily_nationality_counts;
DROP TABLE daily_nationality_counts;
ALTER TABLE daily_nationality_counts_sharded RENAME TO daily_nationality_counts;
