//! The schema profiles, by name: which JS auth system's schema a database
//! speaks. The migration crate, the `authstore` store, the example server and
//! the regeneration script all use these names.

use crate::descriptor::{self, Descriptor};

/// A schema profile: one of the schemas in authstore's source documents.
///
/// Deliberately exhaustive: a new profile must be handled by every `match`
/// on it (migrations, store, example) before the workspace compiles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Profile {
    /// next-auth v3's TypeORM schema (seed 000).
    #[default]
    NextAuthV3,
    /// next-auth's v4-beta TypeORM docs schema (seed 001).
    NextAuthV4Beta,
    /// next-auth 2.0 beta's built-in TypeORM models (seed 002).
    NextAuthV2Beta,
    /// Lucia v3 with its PostgreSQL adapter (seed 004).
    LuciaV3,
    /// lucia-auth v1 with its PostgreSQL adapter (seed 003).
    LuciaV1,
    /// better-auth 1.7, where the other profiles' users move to.
    BetterAuth,
    /// `@auth/pg-adapter` 1.11's schema (next-auth 4.24 and Auth.js v5 on
    /// PostgreSQL).
    AuthJsPg,
    /// `@auth/drizzle-adapter` 1.11's default PostgreSQL schema (next-auth
    /// 4.24 and Auth.js v5 with Drizzle).
    AuthJsDrizzle,
    /// `@auth/prisma-adapter` 2.11's documented PostgreSQL schema
    /// (next-auth 4.24 and Auth.js v5 with Prisma), laid down in today's
    /// docs' shape; next-auth 4's docs' shape is adopted too
    /// (`descriptor::AUTHJS_PRISMA_V4`).
    AuthJsPrisma,
}

impl Profile {
    /// Every profile this release speaks.
    pub const ALL: [Profile; 9] = [
        Profile::NextAuthV3,
        Profile::NextAuthV4Beta,
        Profile::NextAuthV2Beta,
        Profile::LuciaV3,
        Profile::LuciaV1,
        Profile::BetterAuth,
        Profile::AuthJsPg,
        Profile::AuthJsDrizzle,
        Profile::AuthJsPrisma,
    ];

    /// The profile's name, e.g. `next-auth-v3`.
    pub fn name(self) -> &'static str {
        match self {
            Profile::NextAuthV3 => "next-auth-v3",
            Profile::NextAuthV4Beta => "next-auth-v4-beta",
            Profile::NextAuthV2Beta => "next-auth-v2-beta",
            Profile::LuciaV3 => "lucia-v3",
            Profile::LuciaV1 => "lucia-v1",
            Profile::BetterAuth => "better-auth",
            Profile::AuthJsPg => "authjs-pg",
            Profile::AuthJsDrizzle => "authjs-drizzle",
            Profile::AuthJsPrisma => "authjs-prisma",
        }
    }

    /// The profile called `name`.
    ///
    /// ```
    /// use authstore_entity::Profile;
    /// assert_eq!(Profile::from_name("next-auth-v2-beta"), Ok(Profile::NextAuthV2Beta));
    /// assert!(Profile::from_name("next-auth-v9").unwrap_err().contains("next-auth-v3"));
    /// ```
    pub fn from_name(name: &str) -> Result<Profile, String> {
        Profile::ALL
            .into_iter()
            .find(|profile| profile.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = Profile::ALL.iter().map(|p| p.name()).collect();
                format!(
                    "unknown profile {name:?}; known profiles: {}",
                    known.join(", ")
                )
            })
    }

    /// The profile's schema facts (see [`descriptor`](crate::descriptor)):
    /// the registry of profiles, one entry each.
    pub const fn descriptor(self) -> Descriptor {
        match self {
            Profile::NextAuthV3 => Descriptor::NextAuth(&descriptor::NEXT_AUTH_V3),
            Profile::NextAuthV4Beta => Descriptor::NextAuth(&descriptor::NEXT_AUTH_V4_BETA),
            Profile::NextAuthV2Beta => Descriptor::NextAuth(&descriptor::NEXT_AUTH_V2_BETA),
            Profile::LuciaV3 => Descriptor::LuciaV3(&descriptor::LUCIA_V3),
            Profile::LuciaV1 => Descriptor::LuciaV1(&descriptor::LUCIA_V1),
            Profile::BetterAuth => Descriptor::BetterAuth(&crate::better_auth::BETTER_AUTH),
            Profile::AuthJsPg => Descriptor::AuthJs(&descriptor::AUTHJS_PG),
            Profile::AuthJsDrizzle => Descriptor::AuthJs(&descriptor::AUTHJS_DRIZZLE),
            Profile::AuthJsPrisma => Descriptor::AuthJs(&descriptor::AUTHJS_PRISMA),
        }
    }

    /// The PostgreSQL channels on which this profile's `session_notify`
    /// triggers publish changed sessions and users, and the session cache's
    /// listener hears them. The next-auth profiles share theirs (a database
    /// holds one of them); each Lucia profile has its own, so Lucia v3's
    /// tables beside next-auth's in one database are heard apart.
    ///
    /// ```
    /// use authstore_entity::Profile;
    /// assert_eq!(Profile::LuciaV3.notify_channels().sessions, "authstore_lucia_v3_sessions");
    /// ```
    pub const fn notify_channels(self) -> NotifyChannels {
        match self {
            Profile::NextAuthV3 | Profile::NextAuthV4Beta | Profile::NextAuthV2Beta => {
                NotifyChannels {
                    sessions: "authstore_sessions",
                    users: "authstore_users",
                }
            }
            Profile::LuciaV3 => NotifyChannels {
                sessions: "authstore_lucia_v3_sessions",
                users: "authstore_lucia_v3_users",
            },
            Profile::LuciaV1 => NotifyChannels {
                sessions: "authstore_lucia_v1_sessions",
                users: "authstore_lucia_v1_users",
            },
            Profile::BetterAuth => NotifyChannels {
                sessions: "authstore_better_auth_sessions",
                users: "authstore_better_auth_users",
            },
            Profile::AuthJsPg => NotifyChannels {
                sessions: "authstore_authjs_pg_sessions",
                users: "authstore_authjs_pg_users",
            },
            Profile::AuthJsDrizzle => NotifyChannels {
                sessions: "authstore_authjs_drizzle_sessions",
                users: "authstore_authjs_drizzle_users",
            },
            Profile::AuthJsPrisma => NotifyChannels {
                sessions: "authstore_authjs_prisma_sessions",
                users: "authstore_authjs_prisma_users",
            },
        }
    }

    /// The profile named by `AUTHSTORE_PROFILE`, or the default when it is
    /// unset.
    pub fn from_env() -> Result<Profile, String> {
        match std::env::var("AUTHSTORE_PROFILE") {
            Ok(name) => Profile::from_name(name.trim()),
            Err(_) => Ok(Profile::default()),
        }
    }
}

/// See [`Profile::notify_channels`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotifyChannels {
    /// Carries SHA-256 of a changed session's stored token, in hex.
    pub sessions: &'static str,
    /// Carries a changed user's id.
    pub users: &'static str,
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
