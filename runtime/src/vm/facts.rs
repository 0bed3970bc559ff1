//! What a site has learnt from its peers and what it has promised them
//! (SEMANTICS.md §5), in image-local ids.
//!
//! Port activity is the one non-monotone fact, and a stale "serving" would
//! let a user enter a port its provider is leaving. So a user never relies
//! on a remembered provider state: before entering, it asks the provider for
//! a fresh confirmation ([`super::Fact::ServeRequest`]). The provider grants
//! it only while it is not refusing, and from then on counts that user as
//! possibly active until the user reports (with a newer sequence number) that
//! it has consumed the confirmation and is inactive again: the provider's
//! Fire guard cannot pass on a stale "inactive".
//!
//! A confirmation granted and not used would stop the provider from leaving
//! the port although the user has not entered, which the semantics allows
//! (a user waiting for a second provider would hold the first forever). So
//! a provider about to leave revokes it ([`super::Fact::Revoke`]): unless
//! the user has entered with it, the user gives it up, reports it consumed
//! while inactive, and asks again.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ids::{BehaviorId, InstanceId, SiteId};
use crate::model::Connection;

/// The latest [`super::Fact::UsePort`] received for a connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserReport {
    /// Whether the remote use port is active.
    pub active: bool,
    /// Confirmations it has consumed.
    pub consumed: u64,
    /// The sender's sequence number.
    pub seq: u64,
}

/// Everything a site knows about or owes to remote instances. Serializable:
/// it is part of a checkpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Facts {
    /// Provider side: the newest report of each remote user.
    pub users: BTreeMap<Connection, UserReport>,
    /// Provider side: the highest confirmation requested by each remote user.
    pub requested: BTreeMap<Connection, u64>,
    /// Provider side: the highest confirmation granted to each remote user.
    pub granted: BTreeMap<Connection, u64>,
    /// User side: the highest confirmation received from each remote provider.
    pub received: BTreeMap<Connection, u64>,
    /// User side: confirmations consumed by entering the use port.
    pub consumed: BTreeMap<Connection, u64>,
    /// User side: the highest confirmation asked for.
    pub asked: BTreeMap<Connection, u64>,
    /// Provider side: the highest confirmation revoked from each remote user.
    pub revoked: BTreeMap<Connection, u64>,
    /// Remote instances: finished executions per behavior (monotone).
    pub finished: BTreeMap<(InstanceId, BehaviorId), u32>,
    /// Local instances: the sites (global ids) whose programs wait on them.
    pub waiters: BTreeMap<(InstanceId, BehaviorId), BTreeSet<SiteId>>,
    /// What was last sent: use-port reports by connection.
    pub sent_use: BTreeMap<Connection, (bool, u64)>,
    /// What was last sent: finished counts by (instance, behavior, site).
    pub sent_finished: BTreeMap<(InstanceId, BehaviorId, SiteId), u32>,
    /// This site's sequence number for non-monotone facts.
    pub seq: u64,
}

fn get(map: &BTreeMap<Connection, u64>, c: &Connection) -> u64 {
    map.get(c).copied().unwrap_or(0)
}

fn raise(map: &mut BTreeMap<Connection, u64>, c: Connection, n: u64) -> bool {
    let slot = map.entry(c).or_insert(0);
    let raised = n > *slot;
    *slot = (*slot).max(n);
    raised
}

impl Facts {
    /// Provider side: whether the remote user of `c` may be active, counting
    /// an unconsumed confirmation as active; `None` before any report.
    pub fn user_active(&self, c: &Connection) -> Option<bool> {
        let report = self.users.get(c)?;
        Some(report.active || report.consumed < get(&self.granted, c))
    }

    /// User side: whether a fresh, unconsumed confirmation from the remote
    /// provider of `c` is at hand (`None` otherwise: not confirmed).
    pub fn serving(&self, c: &Connection) -> Option<bool> {
        (get(&self.received, c) > get(&self.consumed, c)).then_some(true)
    }

    /// User side: entering the use port of `c` uses up the confirmations.
    pub fn consume(&mut self, c: Connection) {
        let n = get(&self.received, &c);
        raise(&mut self.consumed, c, n);
    }

    /// User side: the provider revokes confirmation `n`. Unless the user
    /// has entered with it, it is given up as if consumed (the user is
    /// inactive, so its next report frees the provider); returns whether it
    /// was.
    pub fn give_up(&mut self, c: Connection, n: u64) -> bool {
        raise(&mut self.received, c, n);
        raise(&mut self.consumed, c, n)
    }

    /// User side: the confirmation to ask for, if not asked yet.
    pub fn to_ask(&mut self, c: Connection) -> Option<u64> {
        let n = get(&self.consumed, &c) + 1;
        raise(&mut self.asked, c, n).then_some(n)
    }

    /// Provider side: a request for confirmation `n`; returns whether it is
    /// already granted (a duplicate, to be answered again).
    pub fn request(&mut self, c: Connection, n: u64) -> bool {
        raise(&mut self.requested, c, n);
        get(&self.granted, &c) >= n
    }

    /// Provider side: the requests waiting for a grant.
    pub fn ungranted(&self) -> Vec<(Connection, u64)> {
        self.requested
            .iter()
            .filter(|(c, n)| **n > get(&self.granted, c))
            .map(|(c, n)| (*c, *n))
            .collect()
    }

    /// Provider side: grants confirmation `n`.
    pub fn grant(&mut self, c: Connection, n: u64) {
        raise(&mut self.granted, c, n);
    }

    /// Provider side: whether the remote user of `c` counts as active only
    /// through a confirmation it has not used (its last report: inactive).
    pub fn unused_grant(&self, c: &Connection) -> bool {
        self.users
            .get(c)
            .is_some_and(|r| !r.active && r.consumed < get(&self.granted, c))
    }

    /// Provider side: the confirmation to revoke on `c` (the one granted),
    /// if not revoked yet.
    pub fn to_revoke(&mut self, c: Connection) -> Option<u64> {
        let n = get(&self.granted, &c);
        raise(&mut self.revoked, c, n).then_some(n)
    }

    /// Provider side: the confirmation granted so far on `c`.
    pub fn granted(&self, c: &Connection) -> u64 {
        get(&self.granted, c)
    }

    /// User side: a confirmation received.
    pub fn receive_serving(&mut self, c: Connection, n: u64) -> bool {
        raise(&mut self.received, c, n)
    }

    /// Provider side: a user report; kept if newer than the one known.
    pub fn report(&mut self, c: Connection, report: UserReport) -> bool {
        match self.users.get(&c) {
            Some(known) if known.seq >= report.seq => false,
            _ => {
                self.users.insert(c, report);
                true
            }
        }
    }

    /// A remote finished count; kept as a maximum.
    pub fn finish(&mut self, i: InstanceId, b: BehaviorId, count: u32) -> bool {
        let slot = self.finished.entry((i, b)).or_insert(0);
        let raised = count > *slot;
        *slot = (*slot).max(count);
        raised
    }

    /// Forgets what was sent, so that everything is stated again (after a
    /// restart: a peer may have missed what was sent before the crash).
    pub fn forget_sent(&mut self) {
        self.sent_use.clear();
        self.sent_finished.clear();
        self.asked.clear();
        self.revoked.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PortId;
    use crate::model::Endpoint;

    fn c() -> Connection {
        let e = |i| Endpoint {
            instance: InstanceId(i),
            port: PortId(0),
        };
        Connection {
            provider: e(0),
            user: e(1),
        }
    }

    #[test]
    fn an_unconsumed_confirmation_counts_as_active() {
        let mut f = Facts::default();
        assert_eq!(f.user_active(&c()), None, "unknown before any report");
        let inactive = |consumed, seq| UserReport {
            active: false,
            consumed,
            seq,
        };
        assert!(f.report(c(), inactive(0, 1)));
        assert_eq!(f.user_active(&c()), Some(false));
        assert!(!f.request(c(), 1));
        f.grant(c(), 1);
        assert_eq!(f.user_active(&c()), Some(true));
        // An older report arriving late changes nothing.
        assert!(f.report(c(), inactive(1, 3)));
        assert!(!f.report(c(), inactive(0, 2)));
        assert_eq!(f.user_active(&c()), Some(false));
        assert!(f.request(c(), 1), "a duplicate request is answered again");
    }

    #[test]
    fn an_unused_confirmation_is_revoked_once_and_given_up() {
        let (mut provider, mut user) = (Facts::default(), Facts::default());
        let report = |f: &Facts, seq| UserReport {
            active: false,
            consumed: f.consumed.get(&c()).copied().unwrap_or(0),
            seq,
        };
        provider.report(c(), report(&user, 1));
        assert_eq!(provider.to_revoke(c()), None, "nothing granted");
        let n = user.to_ask(c()).expect("asks");
        provider.request(c(), n);
        provider.grant(c(), n);
        user.receive_serving(c(), n);
        assert!(provider.unused_grant(&c()));
        assert_eq!(provider.to_revoke(c()), Some(1));
        assert_eq!(provider.to_revoke(c()), None, "revoked once");
        assert!(user.give_up(c(), 1));
        assert!(!user.give_up(c(), 1), "a duplicate changes nothing");
        assert_eq!(user.serving(&c()), None, "given up, not usable");
        provider.report(c(), report(&user, 2));
        assert!(!provider.unused_grant(&c()));
        assert_eq!(
            provider.user_active(&c()),
            Some(false),
            "the provider may leave"
        );
        assert_eq!(user.to_ask(c()), Some(2), "the user asks again");
    }

    #[test]
    fn a_revoke_after_the_user_entered_changes_nothing() {
        let mut user = Facts::default();
        let n = user.to_ask(c()).expect("asks");
        user.receive_serving(c(), n);
        user.consume(c());
        assert!(!user.give_up(c(), n), "entered with it: the user is active");
    }

    #[test]
    fn a_confirmation_is_used_once() {
        let mut f = Facts::default();
        assert_eq!(f.serving(&c()), None);
        assert_eq!(f.to_ask(c()), Some(1));
        assert_eq!(f.to_ask(c()), None, "asked once");
        assert!(f.receive_serving(c(), 1));
        assert!(!f.receive_serving(c(), 1), "duplicates change nothing");
        assert_eq!(f.serving(&c()), Some(true));
        f.consume(c());
        assert_eq!(f.serving(&c()), None);
        assert_eq!(f.to_ask(c()), Some(2));
    }
}
