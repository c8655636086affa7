//! In-process listeners and responders, bound inside a host's namespace: TCP
//! listeners where no `smbd` listens (the kernel completes the handshake, so
//! a connect succeeds exactly when the firewalls let the SYN through), and
//! UDP responders that record every probe datagram they receive.

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, UdpSocket};
use std::path::Path;

use crate::error::LabError;
use crate::netns;

/// The payload prefix of a UDP probe; the probe id follows.
pub(crate) const UDP_MAGIC: &str = "smbguard-lab-probe ";

/// Sockets bound in one namespace.
#[derive(Debug, Default)]
pub(crate) struct HostListeners {
    tcp: Vec<TcpListener>,
    udp: Vec<UdpSocket>,
}

/// Binds `[::]:port` (dual stack, so IPv4 arrives too) or, where IPv6 is
/// unavailable, `0.0.0.0:port`.
fn any_addr(port: u16, v6: bool) -> SocketAddr {
    if v6 {
        SocketAddr::from((Ipv6Addr::UNSPECIFIED, port))
    } else {
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, port))
    }
}

impl HostListeners {
    /// Binds TCP listeners on `tcp` and UDP responders on `udp` inside the
    /// namespace at `ns_path`.
    pub(crate) fn bind(
        ns_path: &Path,
        host: &str,
        tcp: &[u16],
        udp: &[u16],
    ) -> Result<Self, LabError> {
        netns::within(ns_path, || {
            let mut out = HostListeners::default();
            for &port in tcp {
                let l = TcpListener::bind(any_addr(port, true))
                    .or_else(|_| TcpListener::bind(any_addr(port, false)))
                    .map_err(|e| LabError::system(format!("{host}: listen on tcp/{port}"), e))?;
                out.tcp.push(l);
            }
            for &port in udp {
                let s = UdpSocket::bind(any_addr(port, true))
                    .or_else(|_| UdpSocket::bind(any_addr(port, false)))
                    .map_err(|e| LabError::system(format!("{host}: bind udp/{port}"), e))?;
                s.set_nonblocking(true)
                    .map_err(|e| LabError::system(format!("{host}: udp/{port} nonblocking"), e))?;
                out.udp.push(s);
            }
            Ok(out)
        })
    }

    /// The ids of every probe datagram received so far.
    pub(crate) fn drain_udp(&self) -> BTreeSet<u32> {
        let mut seen = BTreeSet::new();
        let mut buf = [0u8; 512];
        for s in &self.udp {
            loop {
                match s.recv_from(&mut buf) {
                    Ok((n, _)) => {
                        let text = String::from_utf8_lossy(&buf[..n]);
                        if let Some(id) = text
                            .strip_prefix(UDP_MAGIC)
                            .and_then(|t| t.trim().parse::<u32>().ok())
                        {
                            seen.insert(id);
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
        seen
    }
}
