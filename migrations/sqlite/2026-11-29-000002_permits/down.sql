DROP TABLE permits;
DROP TABLE documents;
DROP TABLE signing_keys;
