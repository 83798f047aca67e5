//! What a store knows of the servers beyond its connection: its read
//! replicas, and whether revocations wait for a synchronous standby.
//! Shared by the store's clones and scopes, and by its listener, which
//! records what it hears here too.

use std::sync::{Arc, OnceLock};

use crate::cache::{Cached, Change, SessionCache};
use crate::durability::SyncStandby;
use crate::replicas::Replicas;

/// The servers beyond the store's connection: its read replicas, and
/// whether revocations wait for a synchronous standby.
pub(crate) struct Topology<E: Cached> {
    /// Set once, by `with_replicas`, for every clone and scope at once.
    pub(crate) replicas: OnceLock<Arc<Replicas<E>>>,
    pub(crate) standby: SyncStandby,
}

impl<E: Cached> Topology<E> {
    /// Records a change to sessions or users made here or heard of: the
    /// cache evicts it, and replicas not yet past it stop answering for it.
    pub(crate) fn changed(&self, cache: Option<&SessionCache<E>>, change: Change<'_, E::UserId>) {
        if let Some(cache) = cache {
            cache.forget(&change);
        }
        if let Some(replicas) = self.replicas.get() {
            replicas.fence(change);
        }
    }
}
