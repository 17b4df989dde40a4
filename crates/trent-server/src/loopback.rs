//! Who may use the operator's routes (`/_trent/…`: quota decisions, fault
//! rules, the dashboard): they have no SigV4 (the operator is not an AWS
//! principal), so being on the server's host is the credential.

use axum::extract::ConnectInfo;
use axum::http::Extensions;

/// Whether the connection comes from this host. Without a known peer (a
/// router used without connect info), no.
pub fn from_loopback(extensions: &Extensions) -> bool {
    extensions.get::<ConnectInfo<std::net::SocketAddr>>().is_some_and(|ConnectInfo(peer)| {
        // An IPv4 peer on a dual-stack socket shows as ::ffff:127.0.0.1.
        peer.ip().to_canonical().is_loopback()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(addr: &str) -> Extensions {
        let mut e = Extensions::new();
        e.insert(ConnectInfo::<std::net::SocketAddr>(addr.parse().expect("socket address")));
        e
    }

    #[test]
    fn only_loopback_peers_are_operators() {
        assert!(from_loopback(&peer("127.0.0.1:50000")));
        assert!(from_loopback(&peer("127.9.9.9:50000")));
        assert!(from_loopback(&peer("[::1]:50000")));
        assert!(from_loopback(&peer("[::ffff:127.0.0.1]:50000")), "IPv4 loopback on a dual-stack socket");
        assert!(!from_loopback(&peer("192.0.2.7:50000")));
        assert!(!from_loopback(&peer("[::ffff:192.0.2.7]:50000")));
        assert!(!from_loopback(&peer("[2001:db8::1]:50000")));
        assert!(!from_loopback(&Extensions::new()), "unknown peer");
    }
}
