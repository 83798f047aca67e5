//! Row clocks for this profile's entities; see [`crate::behavior`].

crate::behavior::database_clocks!(users, accounts, sessions, verification_requests);
