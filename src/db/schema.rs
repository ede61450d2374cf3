//! Tables as diesel sees them, in SQL types common to SQLite and PostgreSQL.

diesel::table! {
    devices (id) {
        id -> Text,
        gate_id -> Text,
        label -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_seen_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    bundle_version (id) {
        id -> BigInt,
        version -> BigInt,
    }
}

diesel::table! {
    conflicts (id) {
        id -> Text,
        kind -> Text,
        permit_id -> Nullable<Text>,
        scan_id -> Text,
        other_scan_id -> Nullable<Text>,
        gate_id -> Text,
        opened_at -> Timestamp,
        status -> Text,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<Text>,
        explained_by -> Nullable<Text>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    gates (id) {
        id -> Text,
        side -> Text,
        time_zone -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        public_key -> Text,
        sealed_private_key -> Text,
        active_slot -> Nullable<Integer>,
        created_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
        purpose -> Text,
    }
}

diesel::table! {
    documents (document_key) {
        document_key -> Text,
        first_applied_at -> Timestamp,
        last_applied_at -> Timestamp,
        window_started_at -> Nullable<Timestamp>,
        issued_in_window -> Integer,
    }
}

diesel::table! {
    permits (id) {
        id -> Text,
        status -> Text,
        document_key -> Text,
        document_type -> Text,
        issuing_country -> Text,
        document_number -> Text,
        document_expiry -> Nullable<Date>,
        personal_number -> Nullable<Text>,
        nationality -> Text,
        surname -> Text,
        given_names -> Text,
        birth_date -> Date,
        sex -> Text,
        visit_from -> Date,
        visit_until -> Date,
        valid_from -> Timestamp,
        valid_until -> Timestamp,
        kid -> Text,
        token -> Text,
        access_code_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    staff (username) {
        username -> Text,
        password_hash -> Text,
        role -> Text,
        gate_id -> Nullable<Text>,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        token_generation -> BigInt,
    }
}

diesel::table! {
    login_throttle (key_hash) {
        key_hash -> Text,
        username -> Nullable<Text>,
        client -> Text,
        attempts -> Integer,
        window_started_at -> Timestamp,
        blocked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    apply_throttle (client) {
        client -> Text,
        window_started_at -> Timestamp,
        applications -> Integer,
    }
}

diesel::table! {
    service_secrets (name) {
        name -> Text,
        sealed_value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    presence (permit_id) {
        permit_id -> Text,
        inside -> Bool,
        side -> Nullable<Text>,
        gate_id -> Nullable<Text>,
        since -> Nullable<Timestamp>,
        version -> BigInt,
    }
}

diesel::table! {
    scans (id) {
        id -> Text,
        nonce -> Text,
        fingerprint -> Text,
        permit_id -> Nullable<Text>,
        gate_id -> Text,
        side -> Text,
        direction -> Text,
        decision -> Text,
        reason -> Nullable<Text>,
        flags -> Text,
        nationality -> Nullable<Text>,
        officer -> Text,
        permit_status -> Nullable<Text>,
        scanned_at -> Timestamp,
        recorded_at -> Timestamp,
        override_reason -> Nullable<Text>,
        overridden_reason -> Nullable<Text>,
        device_id -> Nullable<Text>,
        device_decision -> Nullable<Text>,
        device_reason -> Nullable<Text>,
        bundle_version -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        target -> Nullable<Text>,
        detail -> Text,
        client -> Nullable<Text>,
    }
}

diesel::joinable!(permits -> signing_keys (kid));
diesel::joinable!(presence -> permits (permit_id));
diesel::joinable!(scans -> permits (permit_id));
diesel::joinable!(staff -> gates (gate_id));
diesel::joinable!(permits -> documents (document_key));
diesel::joinable!(devices -> gates (gate_id));
diesel::allow_tables_to_appear_in_same_query!(
    devices,
    gates,
    signing_keys,
    documents,
    permits,
    staff,
    login_throttle,
    apply_throttle,
    service_secrets,
    presence,
    scans,
    conflicts,
    bundle_version,
    audit_log,
);

diesel::table! {
    stats_zones (time_zone) {
        time_zone -> Text,
        built_at -> Timestamp,
    }
}

diesel::table! {
    daily_gate_counts (time_zone, day, gate_id, shard) {
        time_zone -> Text,
        day -> Date,
        gate_id -> Text,
        entries -> BigInt,
        exits -> BigInt,
        travelers -> BigInt,
        denied -> BigInt,
        shard -> Integer,
    }
}

diesel::table! {
    daily_totals (time_zone, day, shard) {
        time_zone -> Text,
        day -> Date,
        travelers -> BigInt,
        permits_issued -> BigInt,
        shard -> Integer,
    }
}

diesel::table! {
    daily_nationality_counts (time_zone, day, gate_id, nationality, shard) {
        time_zone -> Text,
        day -> Date,
        gate_id -> Text,
        nationality -> Text,
        entries -> BigInt,
        exits -> BigInt,
        shard -> Integer,
    }
}
