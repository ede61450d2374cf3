DROP INDEX permits_birth_surname;
DROP INDEX permits_surname;
DROP TABLE audit_log;
