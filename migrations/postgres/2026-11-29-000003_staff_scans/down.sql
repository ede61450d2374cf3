DROP TABLE scans;
DROP FUNCTION scans_append_only();
DROP TABLE presence;
DROP TABLE service_secrets;
DROP TABLE login_failures;
DROP TABLE staff;
