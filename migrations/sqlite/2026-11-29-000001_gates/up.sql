-- Gates of the zone. CN-1 and KZ-1 exist from the first start.
CREATE TABLE gates (
    id TEXT NOT NULL PRIMARY KEY,
    side TEXT NOT NULL CHECK (side IN ('CHN', 'KAZ')),
    time_zone TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

INSERT INTO gates (id, side, time_zone, name, created_at) VALUES
    ('CN-1', 'CHN', 'Asia/Shanghai', 'China gate', '2026-11-29 00:00:00'),
    ('KZ-1', 'KAZ', 'Asia/Almaty', 'Kazakhstan gate', '2026-11-29 00:00:00');
