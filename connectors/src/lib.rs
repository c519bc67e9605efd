//! Adapters from Docket to outside systems: SQLite, PostgreSQL and file-drop sinks with idempotent writes.
