//! Real Samba `smbd` instances, one per SMB-serving lab host, each with its
//! own smb.conf, private directories and passdb in the lab's temporary
//! directory, started under `setsid` so that stopping them (they signal their
//! whole process group) never reaches this process.

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use smbguard_model::SmbSettings;

use crate::cleanup;
use crate::cmd::{Tools, describe, run};
use crate::error::LabError;
use crate::netns::{self, Netns};
use crate::topology::{LabHost, SmbServer};

/// The Samba account every session uses (root exists on every system, so
/// no Unix account is created; its password lives only in the lab's passdb).
pub(crate) const USER: &str = "root";

/// The directories of one instance.
fn dirs(base: &Path) -> [(&'static str, PathBuf); 7] {
    [
        ("private dir", base.join("private")),
        ("lock directory", base.join("lock")),
        ("state directory", base.join("state")),
        ("cache directory", base.join("cache")),
        ("pid directory", base.join("pid")),
        ("ncalrpc dir", base.join("ncalrpc")),
        ("binddns dir", base.join("binddns")),
    ]
}

fn globals(out: &mut String, base: &Path) {
    for (key, d) in dirs(base) {
        let _ = writeln!(out, "  {key} = {}", d.display());
    }
}

/// smb.conf of a server.
pub(crate) fn server_conf(
    base: &Path,
    host: &LabHost,
    srv: &SmbServer,
    smb: &SmbSettings,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# smbguard lab: {} ({})", host.name, host.netns);
    s.push_str("[global]\n");
    let nb: String = host
        .name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(15)
        .collect();
    let _ = writeln!(
        s,
        "  netbios name = {}",
        if nb.is_empty() { "LAB" } else { &nb }
    );
    s.push_str("  workgroup = SMBGUARDLAB\n");
    s.push_str("  server role = standalone server\n");
    // 139 too, so the NetBIOS session transport has a real listener.
    s.push_str("  smb ports = 445 139\n");
    s.push_str("  disable netbios = yes\n");
    let _ = writeln!(s, "  server min protocol = {}", srv.min_protocol);
    if srv.encryption_required {
        s.push_str("  server smb encrypt = required\n");
    }
    if smb.signing {
        s.push_str("  server signing = mandatory\n");
    }
    let _ = writeln!(
        s,
        "  passdb backend = tdbsam:{}",
        base.join("private").join("passdb.tdb").display()
    );
    globals(&mut s, base);
    let _ = writeln!(s, "  log file = {}", base.join("log.smbd").display());
    s.push_str("  log level = 1\n  max log size = 1000\n");
    s.push_str("  map to guest = never\n  restrict anonymous = 2\n");
    s.push_str("  load printers = no\n  printing = bsd\n  printcap name = /dev/null\n  disable spoolss = yes\n");
    s.push_str("  usershare max shares = 0\n");
    let _ = writeln!(s, "\n[{}]", srv.share);
    let _ = writeln!(s, "  path = {}", base.join("share").display());
    s.push_str("  read only = no\n");
    if srv.encryption_required {
        s.push_str("  smb encrypt = required\n");
    }
    s
}

/// smb.conf of every `smbclient` (its own state directories; SMB1 allowed on
/// the client side so that the server is the one refusing it).
pub(crate) fn client_conf(base: &Path) -> String {
    let mut s = String::from("# smbguard lab: smbclient\n[global]\n");
    s.push_str("  client min protocol = NT1\n  disable netbios = yes\n");
    globals(&mut s, base);
    s
}

fn mkdirs(base: &Path) -> Result<(), LabError> {
    for (_, d) in dirs(base) {
        std::fs::create_dir_all(&d)
            .map_err(|e| LabError::system(format!("mkdir {}", d.display()), e))?;
    }
    let share = base.join("share");
    std::fs::create_dir_all(&share)
        .map_err(|e| LabError::system(format!("mkdir {}", share.display()), e))?;
    std::fs::write(share.join("README.txt"), "smbguard lab share\n")
        .map_err(|e| LabError::system("write share file", e))
}

/// Writes the client configuration and the `-A` authentication file under
/// `base`; returns their paths.
pub(crate) fn prepare_client(base: &Path, password: &str) -> Result<(PathBuf, PathBuf), LabError> {
    mkdirs(base)?;
    let conf = base.join("smb.conf");
    std::fs::write(&conf, client_conf(base))
        .map_err(|e| LabError::system(format!("write {}", conf.display()), e))?;
    let auth = base.join("auth");
    std::fs::write(&auth, format!("username = {USER}\npassword = {password}\n"))
        .map_err(|e| LabError::system(format!("write {}", auth.display()), e))?;
    Ok((conf, auth))
}

/// A running `smbd`, stopped (its whole process group) when dropped.
#[derive(Debug)]
pub(crate) struct Smbd {
    host: String,
    child: Child,
    pgid: i32,
    log: PathBuf,
    stopped: bool,
}

impl Smbd {
    /// Writes the configuration and passdb under `base` and starts `smbd`
    /// in `ns`. Does not wait for it to listen: see [`Smbd::wait_ready`].
    pub(crate) fn start(
        tools: &Tools,
        ns: &Netns,
        base: &Path,
        host: &LabHost,
        srv: &SmbServer,
        smb: &SmbSettings,
        password: &str,
    ) -> Result<Smbd, LabError> {
        mkdirs(base)?;
        let conf = base.join("smb.conf");
        std::fs::write(&conf, server_conf(base, host, srv, smb))
            .map_err(|e| LabError::system(format!("write {}", conf.display()), e))?;
        let conf_s = conf.display().to_string();
        run(
            Command::new(&tools.smbpasswd).args(["-c", &conf_s, "-a", "-s", USER]),
            Some(&format!("{password}\n{password}\n")),
        )?;
        // setsid (not forking: our child is no group leader) makes smbd the
        // leader of a new session and process group whose id is its pid.
        let mut cmd = Command::new(&tools.setsid);
        cmd.arg(&tools.ip)
            .args(["netns", "exec", ns.name()])
            .arg(&tools.smbd)
            .args(["--foreground", "--no-process-group", "-s", &conf_s])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let (child, pgid) = cleanup::creating(|| {
            let child = cmd.spawn().map_err(|e| LabError::Command {
                command: describe(&cmd),
                detail: e.to_string(),
            })?;
            let pgid = i32::try_from(child.id()).unwrap_or(0);
            cleanup::add_process_group(pgid);
            Ok((child, pgid))
        })?;
        Ok(Smbd {
            host: host.name.clone(),
            child,
            pgid,
            log: base.join("log.smbd"),
            stopped: false,
        })
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().rev().take(6).collect();
        lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
    }

    /// Waits until `smbd` accepts TCP connections on `addr` (probed from
    /// inside its namespace), or fails with the end of its log.
    pub(crate) fn wait_ready(
        &mut self,
        ns_path: &Path,
        addr: SocketAddr,
        deadline: Instant,
    ) -> Result<(), LabError> {
        netns::within(ns_path, || {
            loop {
                if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    return Ok(());
                }
                if let Ok(Some(status)) = self.child.try_wait() {
                    return Err(LabError::Smbd {
                        host: self.host.clone(),
                        detail: format!("exited with {status}; log: {}", self.log_tail()),
                    });
                }
                if Instant::now() > deadline {
                    return Err(LabError::Smbd {
                        host: self.host.clone(),
                        detail: format!(
                            "not listening on {addr} after waiting; log: {}",
                            self.log_tail()
                        ),
                    });
                }
                if cleanup::interrupted() {
                    return Err(LabError::Interrupted);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    }

    /// Leaves smbd running (for `--keep`): forgets it without stopping it.
    pub(crate) fn detach(mut self) -> i32 {
        self.stopped = true;
        cleanup::remove_process_group(self.pgid);
        self.pgid
    }

    /// SIGTERM to the group, SIGKILL after a grace period, and reap.
    pub(crate) fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let pg = Pid::from_raw(self.pgid);
        let _ = killpg(pg, Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() > deadline => {
                    let _ = killpg(pg, Signal::SIGKILL);
                    let _ = self.child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        // Children of smbd (one per connection, notifyd, cleanupd) share
        // the group; make sure none outlives the leader, and reap them: the
        // lab is their subreaper (see `become_subreaper`), so they do not
        // linger as zombies.
        let _ = killpg(pg, Signal::SIGKILL);
        reap_group(self.pgid, Instant::now() + Duration::from_secs(2));
        cleanup::remove_process_group(self.pgid);
    }
}

/// Makes this process the reaper of orphans of its descendants, so the
/// children smbd leaves behind when it exits come back to the lab to be
/// reaped instead of lingering as zombies under init.
pub(crate) fn become_subreaper() {
    let _ = nix::sys::prctl::set_child_subreaper(true);
}

/// Reaps every child of ours in process group `pgid` until none is left.
fn reap_group(pgid: i32, deadline: Instant) {
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    loop {
        match waitpid(Pid::from_raw(-pgid), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Ok(WaitStatus::StillAlive) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

impl Drop for Smbd {
    fn drop(&mut self) {
        self.stop();
    }
}
