-- Signing keys shared by every instance. The private key is sealed (ChaCha20-Poly1305)
-- under the key-encryption key from configuration; the database never holds it in clear.
-- `active_slot` is 1 on the one active key and NULL on retired ones: the unique index
-- makes a second active key impossible, even when instances start at the same moment.
CREATE TABLE signing_keys (
    kid TEXT NOT NULL PRIMARY KEY,
    public_key TEXT NOT NULL,
    sealed_private_key TEXT NOT NULL,
    active_slot INTEGER UNIQUE CHECK (active_slot = 1),
    created_at TIMESTAMP NOT NULL,
    retired_at TIMESTAMP
);

-- One row per travel document ever seen; applications for one document lock its row,
-- so the overlap check and the insert of a permit cannot interleave.
CREATE TABLE documents (
    document_key TEXT NOT NULL PRIMARY KEY,
    first_applied_at TIMESTAMP NOT NULL,
    last_applied_at TIMESTAMP NOT NULL
);

CREATE TABLE permits (
    id TEXT NOT NULL PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    document_key TEXT NOT NULL REFERENCES documents (document_key),
    document_type TEXT NOT NULL,
    issuing_country TEXT NOT NULL,
    document_number TEXT NOT NULL,
    document_expiry DATE,
    personal_number TEXT,
    nationality TEXT NOT NULL,
    surname TEXT NOT NULL,
    given_names TEXT NOT NULL,
    birth_date DATE NOT NULL,
    sex TEXT NOT NULL,
    visit_from DATE NOT NULL,
    visit_until DATE NOT NULL,
    valid_from TIMESTAMP NOT NULL,
    valid_until TIMESTAMP NOT NULL,
    kid TEXT NOT NULL REFERENCES signing_keys (kid),
    token TEXT NOT NULL,
    access_code_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    revoked_reason TEXT
);

CREATE INDEX permits_document_visit ON permits (document_key, visit_from);
CREATE INDEX permits_kid_valid_until ON permits (kid, valid_until);
CREATE INDEX permits_created_at ON permits (created_at);
