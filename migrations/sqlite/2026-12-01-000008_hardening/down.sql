ALTER TABLE documents DROP COLUMN issued_in_window;
ALTER TABLE documents DROP COLUMN window_started_at;
DROP TABLE apply_throttle;
DROP TABLE login_throttle;
CREATE TABLE login_failures (
    throttle_key TEXT NOT NULL PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    blocked_until TIMESTAMP
);
ALTER TABLE staff DROP COLUMN token_generation;
