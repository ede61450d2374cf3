//! Both migration sets build the same schema; `borderpass migrate` applies them once.

use std::collections::BTreeSet;
use std::process::Command;

use borderpass::config::Config;
use borderpass::db::{DbConnection, Store};
use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};

use crate::helpers::{test_backend, test_settings, PgTestDatabase, TestBackend};

/// The schema both backends must produce: `table.column type [null]` and `index table(columns) [unique] [partial]`.
const EXPECTED_SCHEMA: &str = "
devices.id text
devices.gate_id text
devices.label text
devices.token_hash text
devices.created_at timestamp
devices.last_seen_at timestamp null
devices.revoked_at timestamp null
index devices(id) unique
index devices(token_hash) unique
index devices(gate_id)
gates.created_at timestamp
gates.id text
gates.name text
gates.side text
gates.time_zone text
index gates(id) unique
signing_keys.kid text
signing_keys.public_key text
signing_keys.sealed_private_key text
signing_keys.active_slot integer null
signing_keys.created_at timestamp
signing_keys.retired_at timestamp null
signing_keys.purpose text
index signing_keys(purpose) unique partial
index signing_keys(kid) unique
index signing_keys(active_slot) unique
documents.document_key text
documents.first_applied_at timestamp
documents.last_applied_at timestamp
documents.window_started_at timestamp null
documents.issued_in_window integer
index documents(document_key) unique
permits.id text
permits.status text
permits.document_key text
permits.document_type text
permits.issuing_country text
permits.document_number text
permits.document_expiry date null
permits.personal_number text null
permits.nationality text
permits.surname text
permits.given_names text
permits.birth_date date
permits.sex text
permits.visit_from date
permits.visit_until date
permits.valid_from timestamp
permits.valid_until timestamp
permits.kid text
permits.token text
permits.access_code_hash text
permits.created_at timestamp
permits.revoked_at timestamp null
permits.revoked_reason text null
index permits(id) unique
index permits(document_key,visit_from)
index permits(kid,valid_until)
index permits(created_at)
index permits(surname)
index permits(birth_date,surname)
staff.username text
staff.password_hash text
staff.role text
staff.gate_id text null
staff.disabled boolean
staff.created_at timestamp
staff.updated_at timestamp
staff.token_generation bigint
index staff(username) unique
login_throttle.key_hash text
login_throttle.username text null
login_throttle.client text
login_throttle.attempts integer
login_throttle.window_started_at timestamp
login_throttle.blocked_until timestamp null
index login_throttle(key_hash) unique
index login_throttle(window_started_at)
apply_throttle.client text
apply_throttle.window_started_at timestamp
apply_throttle.applications integer
index apply_throttle(client) unique
index apply_throttle(window_started_at)
service_secrets.name text
service_secrets.sealed_value text
service_secrets.created_at timestamp
index service_secrets(name) unique
presence.permit_id text
presence.inside boolean
presence.side text null
presence.gate_id text null
presence.since timestamp null
presence.version bigint
index presence(permit_id) unique
scans.id text
scans.nonce text
scans.fingerprint text
scans.permit_id text null
scans.gate_id text
scans.side text
scans.direction text
scans.decision text
scans.reason text null
scans.flags text
scans.nationality text null
scans.officer text
scans.scanned_at timestamp
scans.recorded_at timestamp
scans.override_reason text null
scans.overridden_reason text null
scans.permit_status text null
scans.device_id text null
scans.device_decision text null
scans.device_reason text null
scans.bundle_version bigint null
conflicts.id text
conflicts.kind text
conflicts.permit_id text null
conflicts.scan_id text
conflicts.other_scan_id text null
conflicts.gate_id text
conflicts.opened_at timestamp
conflicts.status text
conflicts.resolved_at timestamp null
conflicts.resolved_by text null
conflicts.explained_by text null
conflicts.note text null
index conflicts(id) unique
index conflicts(status,opened_at)
index conflicts(scan_id)
index conflicts(permit_id,status)
audit_log.id text
audit_log.at timestamp
audit_log.actor text
audit_log.action text
audit_log.target text null
audit_log.detail text
audit_log.client text null
index audit_log(id) unique
index audit_log(at,id)
index audit_log(actor,at)
index audit_log(action,at)
bundle_version.id bigint
bundle_version.version bigint
index bundle_version(id) unique
index presence(version)
index permits(valid_until) partial
index scans(id) unique
index scans(nonce) unique
index scans(permit_id,decision,scanned_at,gate_id)
index scans(scanned_at)
index presence(side) partial
stats_zones.time_zone text
stats_zones.built_at timestamp
index stats_zones(time_zone) unique
daily_gate_counts.time_zone text
daily_gate_counts.day date
daily_gate_counts.gate_id text
daily_gate_counts.entries bigint
daily_gate_counts.exits bigint
daily_gate_counts.travelers bigint
daily_gate_counts.denied bigint
daily_gate_counts.shard integer
index daily_gate_counts(time_zone,day,gate_id,shard) unique
daily_totals.time_zone text
daily_totals.day date
daily_totals.travelers bigint
daily_totals.permits_issued bigint
daily_totals.shard integer
index daily_totals(time_zone,day,shard) unique
daily_nationality_counts.time_zone text
daily_nationality_counts.day date
daily_nationality_counts.gate_id text
daily_nationality_counts.nationality text
daily_nationality_counts.entries bigint
daily_nationality_counts.exits bigint
daily_nationality_counts.shard integer
index daily_nationality_counts(time_zone,day,gate_id,nationality,shard) unique
";

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = BigInt)]
    nullable: i64,
}

#[derive(QueryableByName)]
struct Index {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    columns: String,
    #[diesel(sql_type = BigInt)]
    is_unique: i64,
    #[diesel(sql_type = BigInt)]
    is_partial: i64,
}

fn normalize_type(raw: &str) -> String {
    match raw.to_ascii_lowercase().as_str() {
        "text" | "character varying" | "varchar" => "text",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "bigint" | "int8" => "bigint",
        "integer" | "int" | "int4" => "integer",
        "boolean" | "bool" => "boolean",
        "date" => "date",
        "bytea" | "blob" => "binary",
        other => return other.to_owned(),
    }
    .to_owned()
}

fn describe(conn: &mut DbConnection) -> BTreeSet<String> {
    let (columns, indexes): (Vec<Column>, Vec<Index>) = match conn {
        DbConnection::Sqlite(c) => {
            let tables: Vec<Name> = diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations'",
            )
            .load(c)
            .expect("tables");
            let mut columns = Vec::new();
            let mut indexes = Vec::new();
            for Name { name } in tables {
                columns.extend(
                    diesel::sql_query(format!(
                        "SELECT '{name}' AS table_name, name AS column_name, type AS data_type, \
                         CAST(CASE WHEN \"notnull\" = 1 OR pk > 0 THEN 0 ELSE 1 END AS BIGINT) AS nullable \
                         FROM pragma_table_info('{name}')"
                    ))
                    .load::<Column>(c)
                    .expect("columns"),
                );
                indexes.extend(
                    diesel::sql_query(format!(
                        "SELECT '{name}' AS table_name, \
                         (SELECT group_concat(ii.name, ',') FROM (SELECT name FROM pragma_index_info(il.name) ORDER BY seqno) ii) AS columns, \
                         CAST(il.\"unique\" AS BIGINT) AS is_unique, CAST(il.partial AS BIGINT) AS is_partial \
                         FROM pragma_index_list('{name}') il"
                    ))
                    .load::<Index>(c)
                    .expect("indexes"),
                );
            }
            (columns, indexes)
        }
        DbConnection::Postgres(c) => {
            let columns = diesel::sql_query(
                "SELECT table_name::text AS table_name, column_name::text AS column_name, data_type::text AS data_type, \
                 CASE WHEN is_nullable = 'YES' THEN 1::bigint ELSE 0::bigint END AS nullable \
                 FROM information_schema.columns WHERE table_schema = 'public' \
                 AND table_name <> '__diesel_schema_migrations'",
            )
            .load::<Column>(c)
            .expect("columns");
            let indexes = diesel::sql_query(
                "SELECT t.relname::text AS table_name, \
                 (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord) \
                  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS columns, \
                 CASE WHEN ix.indisunique THEN 1::bigint ELSE 0::bigint END AS is_unique, \
                 CASE WHEN ix.indpred IS NULL THEN 0::bigint ELSE 1::bigint END AS is_partial \
                 FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
                 WHERE n.nspname = 'public' AND t.relname <> '__diesel_schema_migrations'",
            )
            .load::<Index>(c)
            .expect("indexes");
            (columns, indexes)
        }
    };
    let mut described = BTreeSet::new();
    for c in columns {
        let null = if c.nullable == 1 { " null" } else { "" };
        described.insert(format!(
            "{}.{} {}{null}",
            c.table_name,
            c.column_name,
            normalize_type(&c.data_type)
        ));
    }
    for i in indexes {
        let unique = if i.is_unique == 1 { " unique" } else { "" };
        let partial = if i.is_partial == 1 { " partial" } else { "" };
        described.insert(format!(
            "index {}({}){unique}{partial}",
            i.table_name, i.columns
        ));
    }
    described
}

/// A store on a fresh database of the backend under test, and the URL it uses.
fn fresh_store() -> (Store, String, tempfile::TempDir, Option<PgTestDatabase>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(dir.path());
    let pg = match test_backend() {
        TestBackend::Sqlite => None,
        TestBackend::Postgres(admin) => Some(PgTestDatabase::create(&admin)),
    };
    let url = match &pg {
        Some(db) => db.url.clone(),
        None => format!(
            "sqlite://{}",
            dir.path().join("fresh").join("bp.db").display()
        ),
    };
    settings.database_url = Some(url.clone());
    let config = Config::from_raw(settings).expect("config");
    (Store::open(&config), url, dir, pg)
}

#[test]
fn migrations_build_the_expected_schema_on_this_backend() {
    let (store, _url, _dir, _pg) = fresh_store();
    let first = store.migrate().expect("migrations apply");
    assert!(!first.is_empty(), "a fresh database gets every migration");
    let again = store.migrate().expect("second run");
    assert!(again.is_empty(), "the second run applies nothing");
    let mut conn = store.writer_blocking().expect("connection");
    let actual = describe(&mut conn);
    let expected: BTreeSet<String> = EXPECTED_SCHEMA
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let missing: Vec<_> = expected.difference(&actual).collect();
    let extra: Vec<_> = actual.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "schema differs:\nmissing {missing:#?}\nextra {extra:#?}"
    );
}

#[test]
fn sqlite_connections_run_wal_full_sync_and_foreign_keys() {
    let (store, _url, _dir, _pg) = fresh_store();
    store.migrate().expect("migrate");
    let mut conn = store.writer_blocking().expect("connection");
    if let DbConnection::Sqlite(c) = &mut *conn {
        #[derive(QueryableByName)]
        struct Value {
            #[diesel(sql_type = Text)]
            value: String,
        }
        let pragma = |c: &mut diesel::SqliteConnection, name: &str| -> String {
            let column = if name == "busy_timeout" {
                "timeout"
            } else {
                name
            };
            diesel::sql_query(format!(
                "SELECT CAST({column} AS TEXT) AS value FROM pragma_{name}"
            ))
            .get_result::<Value>(c)
            .expect("pragma")
            .value
        };
        assert_eq!(pragma(c, "journal_mode"), "wal");
        assert_eq!(pragma(c, "synchronous"), "2", "FULL");
        assert_eq!(pragma(c, "foreign_keys"), "1");
        assert_eq!(pragma(c, "busy_timeout"), "5000");
        assert_eq!(pragma(c, "temp_store"), "2", "MEMORY");
    }
}

#[test]
fn migrate_command_applies_once_then_is_a_no_op() {
    let (_store, url, dir, _pg) = fresh_store();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_borderpass"))
            .arg("migrate")
            .env("DATABASE_URL", &url)
            .env("BORDERPASS_DATA_DIR", dir.path())
            .env_remove("BORDERPASS_BIND")
            .output()
            .expect("run borderpass migrate")
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("applied"));
    let second = run();
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("up to date"));
}

#[test]
fn new_kek_prints_a_key_the_configuration_accepts() {
    let output = Command::new(env!("CARGO_BIN_EXE_borderpass"))
        .args(["keys", "new-kek"])
        .output()
        .expect("run");
    assert!(output.status.success());
    let key = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert_eq!(key.len(), 43);
    let mut settings = test_settings(std::path::Path::new("unused"));
    settings.key_encryption_key = Some(borderpass::config::SecretText(key));
    let config = Config::from_raw(settings).expect("accepted");
    assert!(config.key_encryption_key.is_some());
    assert!(!format!("{config:?}").contains(
        &config
            .key_encryption_key
            .as_ref()
            .expect("kek")
            .to_text()
            .to_string()
    ));
}

#[test]
fn bad_configuration_stops_start_up_with_one_line_naming_the_setting() {
    for (var, value, named) in [
        ("BORDERPASS_BIND", "not-an-address", "BORDERPASS_BIND"),
        ("DATABASE_URL", "mysql://localhost/x", "DATABASE_URL"),
        ("BORDERPASS_ZONE_TZ", "Asia/Atlantis", "BORDERPASS_ZONE_TZ"),
        ("BORDERPASS_MAX_STAY_DAYS", "lots", "MAX_STAY_DAYS"),
        (
            "BORDERPASS_KEY_ENCRYPTION_KEY",
            "too-short",
            "BORDERPASS_KEY_ENCRYPTION_KEY",
        ),
        (
            "BORDERPASS_STATS_TIME_ZONES",
            "Asia/Almaty,Nowhere/Town",
            "BORDERPASS_STATS_TIME_ZONES",
        ),
        (
            "BORDERPASS_ARGON2_ITERATIONS",
            "0",
            "BORDERPASS_ARGON2_ITERATIONS",
        ),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_borderpass"))
            .arg("serve")
            .env(var, value)
            .output()
            .expect("run borderpass serve");
        assert_eq!(output.status.code(), Some(2), "{var}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(named), "{var}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
