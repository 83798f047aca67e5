//! Row clocks and UTC for this profile's entities; see [`crate::behavior`].

crate::behavior::row_clocks_and_utc!(users, accounts, sessions, verification_tokens);
