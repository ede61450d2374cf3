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
