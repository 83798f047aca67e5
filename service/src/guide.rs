//! The guides under `docs/` (and the README), compiled with the crate: each
//! module's page is one guide, and its code runs as this crate's doc tests,
//! so a guide cannot drift from the API it shows.

// The quickstart is an axum service: it needs the web layer's feature.
#[cfg_attr(feature = "axum", doc = include_str!("../README.md"))]
#[cfg_attr(
    not(feature = "axum"),
    doc = "The README; built with the `axum` feature."
)]
pub mod readme {}

// Its code uses the web layer, which needs the feature.
#[cfg_attr(feature = "axum", doc = include_str!("../docs/beside-nextjs.md"))]
#[cfg_attr(
    not(feature = "axum"),
    doc = "Your Rust service beside a Next.js app (`docs/beside-nextjs.md`); built with the `axum` feature."
)]
pub mod beside_nextjs {}

#[doc = include_str!("../docs/next-auth.md")]
pub mod next_auth {}

#[doc = include_str!("../docs/lucia.md")]
pub mod lucia {}

// Its code bridges cookies in the web layer, which needs the feature.
#[cfg_attr(feature = "axum", doc = include_str!("../docs/leaving-a-deprecated-system.md"))]
#[cfg_attr(
    not(feature = "axum"),
    doc = "Leaving a deprecated system (`docs/leaving-a-deprecated-system.md`); built with the `axum` feature."
)]
pub mod leaving_a_deprecated_system {}

#[doc = include_str!("../docs/sign-in-links.md")]
pub mod sign_in_links {}

// Its code listens for changes, which needs the feature.
#[cfg_attr(feature = "postgres-listen", doc = include_str!("../docs/session-cache.md"))]
#[cfg_attr(
    not(feature = "postgres-listen"),
    doc = "The session cache guide (`docs/session-cache.md`); built with the `postgres-listen` feature."
)]
pub mod session_cache {}

// Its code sets read replicas, which needs the feature.
#[cfg_attr(feature = "postgres-replicas", doc = include_str!("../docs/scale-out.md"))]
#[cfg_attr(
    not(feature = "postgres-replicas"),
    doc = "Beyond one database server (`docs/scale-out.md`); built with the `postgres-replicas` feature."
)]
pub mod scale_out {}

#[doc = include_str!("../docs/schema.md")]
pub mod schema {}

#[doc = include_str!("../docs/profiles.md")]
pub mod profiles {}

#[doc = include_str!("../docs/example-server.md")]
pub mod example_server {}

#[doc = include_str!("../SECURITY.md")]
pub mod security {}

#[doc = include_str!("../docs/development.md")]
pub mod development {}

#[doc = include_str!("../docs/upgrading.md")]
pub mod upgrading {}
