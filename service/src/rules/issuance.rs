//! How often sign-in links may be issued to one identifier. A pure rule over
//! the times the identifier's recent links were created: the rows decide, so
//! the limit holds across processes.

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};

/// At most `max` links per identifier within any `window`.
///
/// ```
/// use authstore::IssuanceLimit;
/// use chrono::{TimeDelta, TimeZone, Utc};
///
/// let limit = IssuanceLimit { max: 2, window: TimeDelta::minutes(15) };
/// let t = |minute| Utc.with_ymd_and_hms(2030, 1, 1, 0, minute, 0).unwrap();
/// assert_eq!(limit.decide(t(5), &[t(1)]), Ok(()));
/// // Two in the window: the next is allowed once the older one leaves it.
/// assert_eq!(limit.decide(t(5), &[t(1), t(4)]), Err(t(16)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IssuanceLimit {
    /// How many events any window may hold.
    pub max: u32,
    /// The window's length.
    pub window: TimeDelta,
}

impl IssuanceLimit {
    /// Where the window that counts begins, seen from `now`: links created
    /// after this instant count.
    pub fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.window
    }

    /// Whether one more link may be issued at `now`, given when the
    /// identifier's links in the window were created (oldest first).
    /// `Err(retry_at)`: the first whole second at which one may. (Whole
    /// seconds, because the exact instant would tell a caller, to the
    /// microsecond, when someone else asked.)
    pub fn decide(
        &self,
        now: DateTime<Utc>,
        recent: &[DateTime<Utc>],
    ) -> Result<(), DateTime<Utc>> {
        let max = self.max as usize;
        let start = self.window_start(now);
        let recent: Vec<&DateTime<Utc>> = recent.iter().filter(|at| **at > start).collect();
        if recent.len() < max {
            return Ok(());
        }
        // Enough links must age out of the window to leave room for one more.
        Err(whole_second_on_or_after(
            *recent[recent.len() - max] + self.window,
        ))
    }
}

/// `at` rounded up to a whole second.
fn whole_second_on_or_after(at: DateTime<Utc>) -> DateTime<Utc> {
    let floor = at.trunc_subsecs(0);
    match floor == at {
        true => at,
        false => floor + TimeDelta::seconds(1),
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
    fn the_limit_counts_links_inside_the_window_only() {
        let limit = IssuanceLimit {
            max: 3,
            window: TimeDelta::seconds(100),
        };
        assert_eq!(limit.decide(at(200), &[]), Ok(()));
        assert_eq!(limit.decide(at(200), &[at(150), at(160)]), Ok(()));
        assert_eq!(
            limit.decide(at(200), &[at(150), at(160), at(170)]),
            Err(at(250))
        );
        // A link created exactly at the window's start no longer counts.
        assert_eq!(limit.decide(at(200), &[at(100), at(160), at(170)]), Ok(()));
        // More links than the limit (another writer): wait for enough to age out.
        assert_eq!(
            limit.decide(at(200), &[at(120), at(130), at(160), at(170), at(180)]),
            Err(at(260))
        );
    }

    #[test]
    fn the_retry_time_is_a_whole_second_and_never_too_early() {
        let limit = IssuanceLimit {
            max: 1,
            window: TimeDelta::seconds(100),
        };
        let asked = at(150) + TimeDelta::microseconds(123_456);
        assert_eq!(limit.decide(at(200), &[asked]), Err(at(251)));
        assert_eq!(limit.decide(at(200), &[at(150)]), Err(at(250)));
    }
}
