-- A staff token names the generation of its account's tokens it was issued in; only tokens of
-- the current generation work. Logout, a password change or reset, and disabling or enabling
-- the account start a new one ("tokens valid after": a counter, so no two clocks must agree).
ALTER TABLE staff ADD COLUMN token_generation BIGINT NOT NULL DEFAULT 0;

-- The login throttle, one row per (username, client) and per client, keyed by a hash of the
-- key so a row's size is bounded whatever was typed. `attempts` counts the failures of the
-- window and the attempts in flight: an attempt is reserved before its password is hashed.
DROP TABLE login_failures;
CREATE TABLE login_throttle (
    key_hash TEXT NOT NULL PRIMARY KEY,
    username TEXT CHECK (length(username) <= 64),
    client TEXT NOT NULL CHECK (length(client) <= 64),
    attempts INTEGER NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    blocked_until TIMESTAMP
);
CREATE INDEX login_throttle_window ON login_throttle (window_started_at);

-- Applications accepted per client address in the current minute, shared by every instance.
CREATE TABLE apply_throttle (
    client TEXT NOT NULL PRIMARY KEY CHECK (length(client) <= 64),
    window_started_at TIMESTAMP NOT NULL,
    applications INTEGER NOT NULL
);
CREATE INDEX apply_throttle_window ON apply_throttle (window_started_at);

-- Permits issued for one document in the current day (its row is locked by every application).
ALTER TABLE documents ADD COLUMN window_started_at TIMESTAMP;
ALTER TABLE documents ADD COLUMN issued_in_window INTEGER NOT NULL DEFAULT 0;
