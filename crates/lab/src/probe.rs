//! The probes: TCP connects, UDP datagrams and `smbclient` sessions, run in
//! parallel from worker threads that enter the source host's namespace.

use std::io::{ErrorKind, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::listen::UDP_MAGIC;
use crate::matrix::{Observed, SessionKind, SessionOutcome};
use crate::netns;

/// How long a TCP connect may take before the SYN counts as dropped.
pub(crate) const TCP_TIMEOUT: Duration = Duration::from_millis(300);
/// How long a `smbclient` run may take before it is killed and counts as
/// unanswered. Longer than smbclient's own 5 s connect timeout (which ends
/// sessions to dropped ports with NT_STATUS_IO_TIMEOUT), so that a slow
/// start on a busy machine is never mistaken for a dropped connection.
pub(crate) const SESSION_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `f` over `jobs` on up to `workers` threads; results in job order.
/// Each worker enters the namespace each job names before running it.
pub(crate) fn parallel<J: Sync, R: Send>(
    jobs: &[J],
    workers: usize,
    ns_of: impl Fn(&J) -> Option<PathBuf> + Sync,
    f: impl Fn(&J) -> R + Sync,
) -> Vec<Option<R>> {
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<R>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, jobs.len().max(1)) {
            s.spawn(|| {
                let mut current: Option<PathBuf> = None;
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(job) = jobs.get(i) else { break };
                    if crate::cleanup::interrupted() {
                        break;
                    }
                    let want = ns_of(job);
                    if want != current {
                        if let Some(p) = &want {
                            if netns::enter(p).is_err() {
                                continue;
                            }
                        }
                        current = want;
                    }
                    let r = f(job);
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(r);
                    }
                }
            });
        }
    });
    results
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect()
}

/// One TCP connect from the calling thread's namespace.
pub(crate) fn tcp_connect(dest: SocketAddr) -> (Observed, String) {
    let start = Instant::now();
    match TcpStream::connect_timeout(&dest, TCP_TIMEOUT) {
        Ok(_) => (
            Observed::Delivered,
            format!("connected in {} ms", start.elapsed().as_millis()),
        ),
        Err(e) => match e.kind() {
            ErrorKind::TimedOut | ErrorKind::WouldBlock => (
                Observed::Dropped,
                format!("no answer within {} ms (dropped)", TCP_TIMEOUT.as_millis()),
            ),
            ErrorKind::ConnectionRefused => (
                Observed::Refused,
                "connection refused (RST): nothing listening".into(),
            ),
            ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => {
                (Observed::Unreachable, format!("unreachable: {e}"))
            }
            _ => (Observed::Error, format!("connect failed: {e}")),
        },
    }
}

/// Sends the datagram of probe `id` from the calling thread's namespace.
pub(crate) fn udp_send(dest: SocketAddr, id: u32) -> Result<(), String> {
    let local = if dest.is_ipv6() {
        SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0))
    } else {
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))
    };
    let s = UdpSocket::bind(local).map_err(|e| e.to_string())?;
    let payload = format!("{UDP_MAGIC}{id}\n");
    s.send_to(payload.as_bytes(), dest)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// What a `smbclient` session needs.
#[derive(Debug, Clone)]
pub(crate) struct SessionJob {
    pub(crate) ip: PathBuf,
    pub(crate) smbclient: PathBuf,
    pub(crate) netns: String,
    pub(crate) client_conf: PathBuf,
    pub(crate) server_name: String,
    pub(crate) share: String,
    pub(crate) addr: IpAddr,
    pub(crate) kind: SessionKind,
    /// smbclient `-A` file with the lab account (kept off command lines).
    pub(crate) auth_file: PathBuf,
}

fn read_all(r: Option<impl Read>) -> String {
    let mut s = String::new();
    if let Some(mut r) = r {
        let _ = r.read_to_string(&mut s);
    }
    s
}

/// The result of one `smbclient` run.
#[derive(Debug, Clone)]
pub(crate) struct SessionRun {
    pub(crate) outcome: SessionOutcome,
    pub(crate) detail: String,
    /// Killed at [`SESSION_TIMEOUT`]: smbclient never finished, not even with
    /// its own connect timeout, so the machine was too busy to tell; the
    /// caller retries.
    pub(crate) killed: bool,
}

/// Runs one real `smbclient` session (`ls` on the share, port 445 only)
/// inside the source namespace, killed after [`SESSION_TIMEOUT`].
pub(crate) fn session(job: &SessionJob) -> SessionRun {
    let mut cmd = Command::new(&job.ip);
    cmd.args(["netns", "exec", &job.netns])
        .arg(&job.smbclient)
        .arg("-s")
        .arg(&job.client_conf)
        .arg(format!("//{}/{}", job.server_name, job.share))
        .arg("-I")
        .arg(job.addr.to_string())
        .args(["-p", "445"]);
    match job.kind {
        SessionKind::Smb3Encrypted => {
            cmd.args(["-m", "SMB3", "--option=client smb encrypt=required"]);
        }
        SessionKind::Smb1 => {
            cmd.args(["-m", "NT1"]);
        }
    }
    cmd.arg("-A")
        .arg(&job.auth_file)
        .args(["-c", "ls"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return SessionRun {
                outcome: SessionOutcome::Failed,
                detail: format!("cannot run smbclient: {e}"),
                killed: false,
            };
        }
    };
    let started = Instant::now();
    let deadline = started + SESSION_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(15)),
            Err(_) => break None,
        }
    };
    let out = read_all(child.stdout.take());
    let err = read_all(child.stderr.take());
    let all = format!("{out}\n{err}");
    let last = all
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("")
        .to_string();
    let ms = started.elapsed().as_millis();
    let (outcome, detail) = match status {
        None => (
            SessionOutcome::Unreachable,
            format!(
                "smbclient did not finish within {} s",
                SESSION_TIMEOUT.as_secs()
            ),
        ),
        Some(s) if s.success() && out.contains("README.txt") => (
            SessionOutcome::Established,
            format!("session set up and share listed in {ms} ms"),
        ),
        Some(_) => (classify(&all), format!("{last} ({ms} ms)")),
    };
    SessionRun {
        outcome,
        detail,
        killed: status.is_none(),
    }
}

/// Sorts a failed `smbclient` run by its NT status.
fn classify(text: &str) -> SessionOutcome {
    const UNREACHABLE: [&str; 6] = [
        "NT_STATUS_IO_TIMEOUT",
        "NT_STATUS_HOST_UNREACHABLE",
        "NT_STATUS_NETWORK_UNREACHABLE",
        "NT_STATUS_CONNECTION_REFUSED",
        "NT_STATUS_CONNECTION_RESET",
        "NT_STATUS_CONNECTION_DISCONNECTED",
    ];
    const REFUSED: [&str; 4] = [
        "protocol negotiation failed",
        "No compatible protocol",
        "NT_STATUS_INVALID_NETWORK_RESPONSE",
        "NT_STATUS_NOT_SUPPORTED",
    ];
    if REFUSED.iter().any(|m| text.contains(m)) {
        SessionOutcome::Refused
    } else if UNREACHABLE.iter().any(|m| text.contains(m)) {
        SessionOutcome::Unreachable
    } else {
        SessionOutcome::Failed
    }
}

/// The namespace path of a lab host's namespace name.
pub(crate) fn ns_path(name: &str) -> PathBuf {
    Path::new("/run/netns").join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_smbclient_failures() {
        assert_eq!(
            classify("protocol negotiation failed: NT_STATUS_INVALID_NETWORK_RESPONSE"),
            SessionOutcome::Refused
        );
        assert_eq!(
            classify("do_connect: Connection to 198.18.1.20 failed (Error NT_STATUS_IO_TIMEOUT)"),
            SessionOutcome::Unreachable
        );
        assert_eq!(
            classify("session setup failed: NT_STATUS_LOGON_FAILURE"),
            SessionOutcome::Failed
        );
    }
}
