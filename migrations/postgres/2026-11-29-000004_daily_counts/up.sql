-- Daily counts kept up to date in the same transaction as each scan and each permit, for the
-- time zones in `stats_time_zones` (the others are counted from the log when asked).
CREATE TABLE stats_zones (
    time_zone TEXT NOT NULL PRIMARY KEY,
    built_at TIMESTAMP NOT NULL
);

CREATE TABLE daily_gate_counts (
    time_zone TEXT NOT NULL,
    day DATE NOT NULL,
    gate_id TEXT NOT NULL,
    entries BIGINT NOT NULL,
    exits BIGINT NOT NULL,
    travelers BIGINT NOT NULL,
    denied BIGINT NOT NULL,
    PRIMARY KEY (time_zone, day, gate_id)
);

CREATE TABLE daily_totals (
    time_zone TEXT NOT NULL,
    day DATE NOT NULL,
    travelers BIGINT NOT NULL,
    permits_issued BIGINT NOT NULL,
    PRIMARY KEY (time_zone, day)
);

CREATE TABLE daily_nationality_counts (
    time_zone TEXT NOT NULL,
    day DATE NOT NULL,
    gate_id TEXT NOT NULL,
    nationality TEXT NOT NULL,
    entries BIGINT NOT NULL,
    exits BIGINT NOT NULL,
    PRIMARY KEY (time_zone, day, gate_id, nationality)
);

-- Who is inside now: few rows among many.
CREATE INDEX presence_inside ON presence (inside, side);
-- A permit's admitted scans, read when a scan is counted.
CREATE INDEX scans_permit_decision ON scans (permit_id, decision);
