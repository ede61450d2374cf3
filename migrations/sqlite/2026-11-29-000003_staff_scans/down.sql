DROP TRIGGER scans_append_only_delete;
DROP TRIGGER scans_append_only_update;
DROP TABLE scans;
DROP TABLE presence;
DROP TABLE service_secrets;
DROP TABLE login_failures;
DROP TABLE staff;
