//! The names of authstore's own tables, which no JS system has: the
//! migration crate creates them and the `authstore` crate queries them, both
//! by these names. They begin with `authstore_`, which the schema tests
//! leave out when they compare a profile with its seed.

/// The sign-in attempt limit's counts (profiles with password sign-in).
pub const SIGN_IN_ATTEMPTS: &str = "authstore_sign_in_attempt";

/// Its index on `(scope, attempted_at)`.
pub const SIGN_IN_ATTEMPTS_BY_SCOPE: &str = "authstore_sign_in_attempt_scope_attempted_at";

/// What a carry-over into a `better-auth` database has written, by kind
/// (`user`, `session`) and source id, so a run never re-creates a row the
/// better-auth app deleted since (a user who left, a session signed out).
pub const CARRIED: &str = "authstore_carried";

/// The sources a carry-over has read, by identity (the source server's own
/// id and the database's name, never its URL): a run from a source not
/// recorded here is refused unless the operator names it another source.
pub const CARRIED_SOURCES: &str = "authstore_carried_source";
