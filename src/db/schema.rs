//! Tables as diesel sees them, in SQL types common to SQLite and PostgreSQL.

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
    }
}

diesel::table! {
    documents (document_key) {
        document_key -> Text,
        first_applied_at -> Timestamp,
        last_applied_at -> Timestamp,
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

diesel::joinable!(permits -> signing_keys (kid));
diesel::joinable!(permits -> documents (document_key));
diesel::allow_tables_to_appear_in_same_query!(gates, signing_keys, documents, permits);
