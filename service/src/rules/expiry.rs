//! When a session is live, due for renewal, or over: the expiry rules of
//! every schema this crate speaks, as pure functions of "now" and what the
//! session row stores. No table here; the session queries ask
//! [`ExpiryPolicy::decide`] and carry out its [`Decision`].
//!
//! Boundaries follow the JS systems, as observed by running them: a
//! next-auth session is over at its `expires`; a Lucia v3 session is renewed
//! from exactly `expires_at − expires_in / 2` and is over at `expires_at`; a
//! Lucia v1 session is active up to and including `active_expires` and dead
//! only after `idle_expires`.

use chrono::{DateTime, TimeDelta, Utc};

/// What a read of a session should do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision<E> {
    /// Serve it; write nothing.
    Live,
    /// Serve it, and store this new expiry first (Lucia v1: in a new
    /// session, whose id replaces the old one).
    Renew(E),
    /// Refuse it (and delete it, where the schema's system does).
    Expired,
}

/// One schema family's expiry rule.
pub trait ExpiryPolicy {
    /// What a session row stores about its expiry.
    type Expiry;

    /// The expiry of a session created (or renewed) at `now`.
    fn starting_at(&self, now: DateTime<Utc>) -> Self::Expiry;

    /// What a read at `now` should do with a session that stores `expiry`.
    fn decide(&self, now: DateTime<Utc>, expiry: &Self::Expiry) -> Decision<Self::Expiry>;
}

/// next-auth (v2 beta, v3, v4 beta): a session lives `max_age` after it was
/// created or last renewed, and a read renews it once
/// `expires − max_age + update_age` has passed, so a busy session is written
/// at most once per `update_age`.
///
/// ```
/// use authstore::{Decision, ExpiryPolicy, SlidingExpiry};
/// use chrono::{TimeDelta, TimeZone, Utc};
///
/// let policy = SlidingExpiry { max_age: TimeDelta::days(30), update_age: TimeDelta::days(1) };
/// let created = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
/// let expires = policy.starting_at(created);
/// assert_eq!(policy.decide(created + TimeDelta::hours(1), &expires), Decision::Live);
/// let later = created + TimeDelta::days(2);
/// assert_eq!(policy.decide(later, &expires), Decision::Renew(later + TimeDelta::days(30)));
/// assert_eq!(policy.decide(expires, &expires), Decision::Expired);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlidingExpiry {
    /// How long a session lives from its creation or last renewal.
    pub max_age: TimeDelta,
    /// How long after that a read renews it (next-auth's `updateAge`).
    pub update_age: TimeDelta,
}

impl ExpiryPolicy for SlidingExpiry {
    type Expiry = DateTime<Utc>;

    fn starting_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.max_age
    }

    fn decide(&self, now: DateTime<Utc>, expires: &DateTime<Utc>) -> Decision<DateTime<Utc>> {
        if *expires <= now {
            return Decision::Expired;
        }
        if now > *expires - self.max_age + self.update_age {
            return Decision::Renew(self.starting_at(now));
        }
        Decision::Live
    }
}

/// Lucia v3: a session lives `expires_in`; a read in its second half moves
/// `expires_at` to now + `expires_in`, and the session is reported fresh.
///
/// The instants are lucia 3.2's, to the millisecond: it reads times as
/// whole milliseconds (a JS `Date`), and its second half starts at
/// `new Date(expiresAt − expiresIn / 2)`, where a `Date` drops the half
/// millisecond an odd `expiresIn` leaves. So with `expires_in` = 3,600,001
/// ms the renewal starts 1,800,000 ms after creation, not 1,800,000.5.
///
/// ```
/// use authstore::{Decision, ExpiryPolicy, HalfLifeExpiry};
/// use chrono::{TimeDelta, TimeZone, Utc};
///
/// let policy = HalfLifeExpiry { expires_in: TimeDelta::days(30) };
/// let created = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
/// let expires_at = policy.starting_at(created);
/// let half = created + TimeDelta::days(15);
/// assert_eq!(policy.decide(half - TimeDelta::milliseconds(1), &expires_at), Decision::Live);
/// assert_eq!(policy.decide(half, &expires_at), Decision::Renew(half + TimeDelta::days(30)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HalfLifeExpiry {
    /// How long a session lives (Lucia's `sessionExpiresIn`).
    pub expires_in: TimeDelta,
}

impl ExpiryPolicy for HalfLifeExpiry {
    type Expiry = DateTime<Utc>;

    fn starting_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.expires_in
    }

    fn decide(&self, now: DateTime<Utc>, expires_at: &DateTime<Utc>) -> Decision<DateTime<Utc>> {
        // Lucia's `Date.now() < date.getTime()`, on whole milliseconds.
        let (now_ms, expires_ms) = (now.timestamp_millis(), expires_at.timestamp_millis());
        if now_ms >= expires_ms {
            return Decision::Expired;
        }
        // `expiresAt − expiresIn / 2` with its fraction dropped towards
        // zero, as a JS `Date` drops it: (2e − x) / 2 in integers.
        let renew_from_ms = (2 * expires_ms - self.expires_in.num_milliseconds()) / 2;
        if now_ms >= renew_from_ms {
            return Decision::Renew(self.starting_at(now));
        }
        Decision::Live
    }
}

/// Lucia v1: a session is active for `active_period`, then idle for
/// `idle_period`, then dead. Reading an idle session renews it (Lucia makes
/// a new session with fresh periods); reading a dead one refuses it.
///
/// ```
/// use authstore::{ActiveIdleExpiry, Decision, ExpiryPolicy};
/// use chrono::{TimeDelta, TimeZone, Utc};
///
/// let policy = ActiveIdleExpiry { active_period: TimeDelta::hours(24), idle_period: TimeDelta::days(14) };
/// let created = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
/// let periods = policy.starting_at(created);
/// assert_eq!(policy.decide(periods.active_until, &periods), Decision::Live);
/// let idle = created + TimeDelta::days(3);
/// assert_eq!(policy.decide(idle, &periods), Decision::Renew(policy.starting_at(idle)));
/// assert_eq!(policy.decide(periods.idle_until + TimeDelta::milliseconds(1), &periods), Decision::Expired);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActiveIdleExpiry {
    /// How long a new session is active.
    pub active_period: TimeDelta,
    /// How long it is idle (renewable) after that.
    pub idle_period: TimeDelta,
}

/// The two ends a Lucia v1 session row stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActiveIdlePeriods {
    /// Active up to and including this instant (`active_expires`).
    pub active_until: DateTime<Utc>,
    /// Idle after `active_until` up to and including this one (`idle_expires`).
    pub idle_until: DateTime<Utc>,
}

impl ExpiryPolicy for ActiveIdleExpiry {
    type Expiry = ActiveIdlePeriods;

    fn starting_at(&self, now: DateTime<Utc>) -> ActiveIdlePeriods {
        let active_until = now + self.active_period;
        ActiveIdlePeriods {
            active_until,
            idle_until: active_until + self.idle_period,
        }
    }

    fn decide(
        &self,
        now: DateTime<Utc>,
        periods: &ActiveIdlePeriods,
    ) -> Decision<ActiveIdlePeriods> {
        if now > periods.idle_until {
            return Decision::Expired;
        }
        if now > periods.active_until {
            return Decision::Renew(self.starting_at(now));
        }
        Decision::Live
    }
}

/// better-auth's session rule, and Auth.js's (next-auth 4.24, v5) database
/// sessions' with their `maxAge` and `updateAge`: a session lives
/// `expires_in`, a read renews it once `expires_at − expires_in + update_age`
/// is reached, and it is over only once `expires_at` is past (a read at
/// exactly `expires_at` still serves, and renews, it).
///
/// ```
/// use authstore::{Decision, ExpiryPolicy, UpdateAgeExpiry};
/// use chrono::{TimeDelta, TimeZone, Utc};
///
/// let policy = UpdateAgeExpiry::default();
/// let created = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
/// let expires_at = policy.starting_at(created);
/// let due = created + TimeDelta::days(1);
/// assert_eq!(policy.decide(due - TimeDelta::milliseconds(1), &expires_at), Decision::Live);
/// assert_eq!(policy.decide(due, &expires_at), Decision::Renew(due + TimeDelta::days(7)));
/// assert_eq!(policy.decide(expires_at, &expires_at), Decision::Renew(expires_at + TimeDelta::days(7)));
/// let after = expires_at + TimeDelta::milliseconds(1);
/// assert_eq!(policy.decide(after, &expires_at), Decision::Expired);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpdateAgeExpiry {
    /// How long a session lives (`session.expiresIn`).
    pub expires_in: TimeDelta,
    /// How long after its start or renewal a read renews it
    /// (`session.updateAge`).
    pub update_age: TimeDelta,
}

impl Default for UpdateAgeExpiry {
    /// better-auth's defaults: 7 days, renewed after a day.
    fn default() -> Self {
        UpdateAgeExpiry {
            expires_in: TimeDelta::days(7),
            update_age: TimeDelta::days(1),
        }
    }
}

impl ExpiryPolicy for UpdateAgeExpiry {
    type Expiry = DateTime<Utc>;

    fn starting_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.expires_in
    }

    fn decide(&self, now: DateTime<Utc>, expires_at: &DateTime<Utc>) -> Decision<DateTime<Utc>> {
        if *expires_at < now {
            return Decision::Expired;
        }
        if *expires_at - self.expires_in + self.update_age <= now {
            return Decision::Renew(self.starting_at(now));
        }
        Decision::Live
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(2_000_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn sliding_renews_only_after_update_age_and_ends_at_expires() {
        let policy = SlidingExpiry {
            max_age: TimeDelta::seconds(100),
            update_age: TimeDelta::seconds(10),
        };
        let expires = policy.starting_at(at(0));
        assert_eq!(expires, at(100));
        assert_eq!(
            policy.decide(at(10), &expires),
            Decision::Live,
            "exactly update_age: no write"
        );
        assert_eq!(policy.decide(at(11), &expires), Decision::Renew(at(111)));
        assert_eq!(policy.decide(at(99), &expires), Decision::Renew(at(199)));
        assert_eq!(policy.decide(at(100), &expires), Decision::Expired);
    }

    #[test]
    fn half_life_renews_from_the_middle_and_ends_at_expires_at() {
        let policy = HalfLifeExpiry {
            expires_in: TimeDelta::seconds(100),
        };
        let expires_at = policy.starting_at(at(0));
        assert_eq!(policy.decide(at(49), &expires_at), Decision::Live);
        assert_eq!(policy.decide(at(50), &expires_at), Decision::Renew(at(150)));
        assert_eq!(policy.decide(at(100), &expires_at), Decision::Expired);
    }

    #[test]
    fn half_life_renews_where_lucia_does_for_odd_periods() {
        let policy = HalfLifeExpiry {
            expires_in: TimeDelta::milliseconds(3_600_001),
        };
        let created = at(0);
        let expires_at = policy.starting_at(created);
        let ms = TimeDelta::milliseconds;
        assert_eq!(
            policy.decide(created + ms(1_799_999), &expires_at),
            Decision::Live
        );
        assert_eq!(
            policy.decide(created + ms(1_800_000), &expires_at),
            Decision::Renew(created + ms(1_800_000) + policy.expires_in)
        );
    }

    /// lucia 3.2.2's rule, written as its code reads, over random periods
    /// and instants: `Date.now() < expiresAt` is live, and
    /// `Date.now() >= new Date(expiresAt - expiresIn / 2)` renews (a JS
    /// `Date` truncates the fraction).
    #[test]
    fn half_life_matches_lucias_rule_over_random_periods() {
        use proptest::prelude::*;
        let lucia = |now: i64, expires_at: i64, expires_in: i64| -> &'static str {
            let renew_from = ((expires_at as f64) - (expires_in as f64) / 2.0).trunc() as i64;
            if now >= expires_at {
                "expired"
            } else if now >= renew_from {
                "renew"
            } else {
                "live"
            }
        };
        proptest!(|(expires_in in 1i64..=400 * 86_400_000, age_permille in 0i64..=1_100, created in 0i64..4_000_000_000_000)| {
            let policy = HalfLifeExpiry { expires_in: TimeDelta::milliseconds(expires_in) };
            let created_at = DateTime::from_timestamp_millis(created).unwrap();
            let expires_at = policy.starting_at(created_at);
            // Around the half and around the end, and anywhere else.
            for now in [
                created + expires_in / 2 - 1,
                created + expires_in / 2,
                created + expires_in / 2 + 1,
                created + expires_in - 1,
                created + expires_in,
                created + expires_in * age_permille / 1000,
            ] {
                let decided = match policy.decide(DateTime::from_timestamp_millis(now).unwrap(), &expires_at) {
                    Decision::Live => "live",
                    Decision::Renew(_) => "renew",
                    Decision::Expired => "expired",
                };
                prop_assert_eq!(decided, lucia(now, created + expires_in, expires_in), "now {} created {} expires_in {}", now, created, expires_in);
            }
        });
    }

    #[test]
    fn active_idle_renews_when_idle_and_ends_after_idle_until() {
        let policy = ActiveIdleExpiry {
            active_period: TimeDelta::seconds(10),
            idle_period: TimeDelta::seconds(100),
        };
        let periods = policy.starting_at(at(0));
        assert_eq!(periods.active_until, at(10));
        assert_eq!(periods.idle_until, at(110));
        assert_eq!(policy.decide(at(10), &periods), Decision::Live);
        assert_eq!(
            policy.decide(at(11), &periods),
            Decision::Renew(policy.starting_at(at(11)))
        );
        assert_eq!(
            policy.decide(at(110), &periods),
            Decision::Renew(policy.starting_at(at(110)))
        );
        assert_eq!(policy.decide(at(111), &periods), Decision::Expired);
    }
}
