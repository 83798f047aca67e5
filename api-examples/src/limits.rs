//! Limits on unauthenticated requests that cost the server (or a
//! stranger's inbox) something: sending a sign-in link and signing up. The
//! library already limits links per address
//! (`ConfigBuilder::link_issuance_limit`) and failed sign-ins per key and
//! client (`AttemptLimit`); these add a limit per client address, so one
//! client cannot send links to `victim+1@…` … `victim+30@…` or to thousands
//! of addresses, and a limit for everyone together, which bounds the mail a
//! botnet can make the server send.
//!
//! They are per process (governor's GCRA, in memory): the example runs as
//! one process. A fleet would keep them in a shared store, as the library
//! does for failed sign-ins.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};

use crate::error::ApiError;
use crate::guard::ClientAddress;

/// One kind of request's limits: per client per hour, and for all clients
/// together per minute. Cloning shares the counts.
#[derive(Clone)]
pub struct RequestLimit {
    per_client: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    everyone: Arc<DefaultDirectRateLimiter>,
}

impl RequestLimit {
    /// At most `per_client_per_hour` requests from one client address in an
    /// hour (all at once, or spread out), and `everyone_per_minute` from all
    /// clients together in a minute.
    pub fn new(per_client_per_hour: NonZeroU32, everyone_per_minute: NonZeroU32) -> Self {
        RequestLimit {
            per_client: Arc::new(DefaultKeyedRateLimiter::keyed(Quota::per_hour(
                per_client_per_hour,
            ))),
            everyone: Arc::new(DefaultDirectRateLimiter::direct(Quota::per_minute(
                everyone_per_minute,
            ))),
        }
    }

    /// Counts one request from `client`, or refuses it with 429 and how
    /// long to wait. A client's own limit is checked first, so a refused
    /// client does not use up everyone's.
    pub fn check(&self, client: ClientAddress) -> Result<(), ApiError> {
        let now = DefaultClock::default().now();
        if let Some(key) = client.limit_key()
            && let Err(not_until) = self.per_client.check_key(&key)
        {
            return Err(too_many(not_until.wait_time_from(now)));
        }
        self.everyone
            .check()
            .map_err(|not_until| too_many(not_until.wait_time_from(now)))
    }
}

fn too_many(wait: Duration) -> ApiError {
    // Whole seconds, rounded up and at least one: Retry-After takes no
    // fraction, and a client told 0 would retry at once.
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError::TooManyRequests {
        retry_after_secs: seconds.max(1),
    }
}

/// The example's limits, from its settings.
#[derive(Clone)]
pub struct Limits {
    /// `POST /auth/email` and the page's "send me a new link".
    pub links: RequestLimit,
    /// `POST /auth/signup` on the Lucia profiles.
    pub sign_ups: RequestLimit,
}

impl Default for Limits {
    /// 20 links and 20 sign-ups per client address per hour; 60 links and
    /// 60 sign-ups per minute from everyone.
    fn default() -> Self {
        let twenty = NonZeroU32::new(20).expect("positive");
        let sixty = NonZeroU32::new(60).expect("positive");
        Limits {
            links: RequestLimit::new(twenty, sixty),
            sign_ups: RequestLimit::new(twenty, sixty),
        }
    }
}
