//! `smbguard lab`: build the estate, probe it, compare with the prediction.

use std::collections::BTreeSet;
use std::fmt;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use smbguard_deploy::ApplyRequest;
use smbguard_emit::EmitContext;
use smbguard_emit::nftables::{host_ruleset, perimeter_ruleset};
use smbguard_model::{AddrSet, Estate, Platform, Profile, Proto, Role, Strategy, Transport};
use smbguard_semantics::{CompileError, Flow, Plan, Profiles, Verdict, check_flow, compile};

use crate::cleanup::{self, interrupted};
use crate::cmd::{self, Tools, has_net_admin, run as run_cmd};
use crate::error::LabError;
use crate::listen::HostListeners;
use crate::live_audit::{self, LiveAudit, PERIMETER};
use crate::matrix::{
    Family, Kept, LabReport, Observed, Probe, Session, SessionKind, SessionOutcome, Timings,
    TransportProbes,
};
use crate::netns::{self, Netns};
use crate::probe::{self, SessionJob, ns_path};
use crate::samba::{self, Smbd};
use crate::topology::{self, HostKind, LabHost, Router, Topology, TopologyOptions};

/// Rewrites a ruleset before it is loaded: `(host name or "perimeter",
/// rendered ruleset) -> ruleset to load`. Tests use it to weaken one host
/// and check that the lab notices.
pub type RulesetHook = dyn Fn(&str, String) -> String + Send + Sync;

/// Ports of the traffic the plan does not govern, probed to show it still flows.
pub const UNGOVERNED_PORTS: [u16; 2] = [22, 80];

/// How to run the lab.
pub struct LabOptions {
    /// The profile workstation hosts are in; every other Windows host is in
    /// its Domain profile (the lab is the internal network).
    pub workstation_profile: Profile,
    /// Leave the namespaces and smbd running afterwards (the in-process TCP
    /// listeners and UDP responders end with the process).
    pub keep: bool,
    /// Rewrites rulesets before they are loaded (tests).
    pub ruleset_hook: Option<Box<RulesetHook>>,
}

impl Default for LabOptions {
    fn default() -> Self {
        LabOptions {
            workstation_profile: Profile::Domain,
            keep: false,
            ruleset_hook: None,
        }
    }
}

impl fmt::Debug for LabOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LabOptions")
            .field("workstation_profile", &self.workstation_profile)
            .field("keep", &self.keep)
            .field(
                "ruleset_hook",
                &self.ruleset_hook.as_ref().map(|_| "<hook>"),
            )
            .finish()
    }
}

static RUNS: AtomicUsize = AtomicUsize::new(0);

/// The lab's temporary directory, removed when dropped.
#[derive(Debug)]
struct TempDir {
    path: PathBuf,
    keep: bool,
}

impl TempDir {
    fn create(name: &str) -> Result<TempDir, LabError> {
        let path = std::env::temp_dir().join(name);
        cleanup::creating(|| {
            cleanup::add_dir(&path);
            Ok(())
        })?;
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .map_err(|e| LabError::system(format!("mkdir {}", path.display()), e))?;
        // Private: it holds the lab account's password and the passdbs.
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| LabError::system(format!("chmod {}", path.display()), e))?;
        Ok(TempDir { path, keep: false })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
        cleanup::remove_dir(&self.path);
    }
}

/// Everything a lab run created, torn down in reverse when dropped.
#[derive(Debug)]
struct Lab {
    listeners: Vec<HostListeners>,
    smbds: Vec<Smbd>,
    hosts: Vec<Netns>,
    router: Option<Netns>,
    dir: Option<TempDir>,
}

impl Lab {
    fn teardown(&mut self) -> Result<(), LabError> {
        self.listeners.clear();
        for s in &mut self.smbds {
            s.stop();
        }
        self.smbds.clear();
        let mut first_err = None;
        for ns in self.hosts.drain(..).chain(self.router.take()) {
            if let Err(e) = ns.delete() {
                first_err.get_or_insert(e);
            }
        }
        self.dir = None;
        first_err.map_or(Ok(()), Err)
    }

    fn keep(&mut self, ip: &Path) -> Kept {
        self.listeners.clear();
        let groups: Vec<i32> = self.smbds.drain(..).map(Smbd::detach).collect();
        let mut names: Vec<String> = Vec::new();
        for ns in self.router.take().into_iter().chain(self.hosts.drain(..)) {
            names.push(ns.keep());
        }
        let dir = self.dir.take().map(|mut d| {
            d.keep = true;
            d.path.clone()
        });
        let dir = dir.unwrap_or_default();
        let mut cleanup = String::new();
        if !groups.is_empty() {
            let pg: Vec<String> = groups.iter().map(|g| format!("-{g}")).collect();
            let _ = write!(cleanup, "kill -TERM -- {}; ", pg.join(" "));
        }
        for n in &names {
            let _ = write!(cleanup, "{}; ", cmd::delete_command(ip, n));
        }
        let _ = write!(cleanup, "rm -rf {}", dir.display());
        Kept {
            netns: names,
            smbd_process_groups: groups,
            dir,
            cleanup,
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.teardown();
    }
}

fn check_interrupt() -> Result<(), LabError> {
    if interrupted() {
        Err(LabError::Interrupted)
    } else {
        Ok(())
    }
}

fn compile_error(e: CompileError) -> LabError {
    LabError::Compile(
        e.diagnostics()
            .iter()
            .map(|d| format!("[{}] {}", d.code, d.message))
            .collect::<Vec<_>>()
            .join("; "),
    )
}

fn cidrs(set: &AddrSet, v6: bool) -> Vec<String> {
    set.to_cidrs()
        .into_iter()
        .filter(|n| matches!(n, ipnet::IpNet::V6(_)) == v6)
        .map(|n| n.to_string())
        .collect()
}

fn host_cidr(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => format!("{a}/32"),
        IpAddr::V6(a) => format!("{a}/128"),
    }
}

/// Writes a sysctl of the namespace the calling thread is in; missing
/// files (a module not loaded) are fine.
fn sysctl(path: &str, value: &str) {
    let _ = std::fs::write(Path::new("/proc/sys").join(path), value);
}

/// Builds the namespaces, links, addresses and routes.
fn build_network(tools: &Tools, topo: &Topology, lab: &mut Lab) -> Result<(), LabError> {
    let r = &topo.router;
    let router = Netns::create(&tools.ip, &r.netns)?;
    netns::within(&router.path(), || {
        sysctl("net/ipv6/conf/all/accept_dad", "0");
        sysctl("net/ipv6/conf/default/accept_dad", "0");
        sysctl("net/ipv4/ip_forward", "1");
        sysctl("net/ipv6/conf/all/forwarding", "1");
        // The perimeter routes between segments; bridged frames inside a
        // segment must not pass the IP hooks (the router is not a filtering bridge).
        sysctl("net/bridge/bridge-nf-call-iptables", "0");
        sysctl("net/bridge/bridge-nf-call-ip6tables", "0");
        Ok(())
    })?;
    let mut rb = String::from(
        "link add brint type bridge\nlink add brext type bridge\nlink set brint up\nlink set brext up\n",
    );
    let addr_line = |out: &mut String, ip: IpAddr, dev: &str| {
        let nodad = if ip.is_ipv6() { " nodad" } else { "" };
        let _ = writeln!(out, "addr add {} dev {dev}{nodad}", host_cidr(ip));
    };
    for (ip, dev) in [
        (r.internal_v4.map(IpAddr::V4), "brint"),
        (r.internal_v6.map(IpAddr::V6), "brint"),
        (r.external_v4.map(IpAddr::V4), "brext"),
        (r.external_v6.map(IpAddr::V6), "brext"),
    ] {
        if let Some(ip) = ip {
            addr_line(&mut rb, ip, dev);
        }
    }
    for v6 in [false, true] {
        for c in cidrs(&topo.internal, v6) {
            let _ = writeln!(rb, "route add {c} dev brint");
        }
    }
    for h in topo.hosts.iter().filter(|h| !h.internal) {
        for ip in [h.addr(false), h.addr(true)].into_iter().flatten() {
            let _ = writeln!(rb, "route add {} dev brext", host_cidr(ip));
        }
    }
    lab.router = Some(router);

    let mut links = String::new();
    for (i, h) in topo.hosts.iter().enumerate() {
        let ns = Netns::create(&tools.ip, &h.netns)?;
        netns::within(&ns.path(), || {
            sysctl("net/ipv6/conf/all/accept_dad", "0");
            sysctl("net/ipv6/conf/default/accept_dad", "0");
            Ok(())
        })?;
        lab.hosts.push(ns);
        let _ = writeln!(
            links,
            "link add eth0 netns {} type veth peer name v{i} netns {}",
            h.netns, r.netns
        );
        let bridge = if h.internal { "brint" } else { "brext" };
        let _ = writeln!(rb, "link set v{i} master {bridge}\nlink set v{i} up");
    }
    run_cmd(
        std::process::Command::new(&tools.ip).args(["-batch", "-"]),
        Some(&links),
    )?;
    if let Some(router) = &lab.router {
        router.batch(&rb)?;
    }
    let external_hosts: Vec<IpAddr> = topo
        .hosts
        .iter()
        .filter(|h| !h.internal)
        .flat_map(|h| [h.addr(false), h.addr(true)])
        .flatten()
        .collect();
    for (h, ns) in topo.hosts.iter().zip(&lab.hosts) {
        let mut b = String::from("link set eth0 up\n");
        for v6 in [false, true] {
            let Some(me) = h.addr(v6) else { continue };
            addr_line(&mut b, me, "eth0");
            let (router_in, router_out) = if v6 {
                (r.internal_v6.map(IpAddr::V6), r.external_v6.map(IpAddr::V6))
            } else {
                (r.internal_v4.map(IpAddr::V4), r.external_v4.map(IpAddr::V4))
            };
            if h.internal {
                for c in cidrs(&topo.internal, v6) {
                    let _ = writeln!(b, "route add {c} dev eth0");
                }
                if let Some(gw) = router_in {
                    for ip in external_hosts.iter().filter(|a| a.is_ipv6() == v6) {
                        let _ =
                            writeln!(b, "route add {} via {gw} dev eth0 onlink", host_cidr(*ip));
                    }
                }
            } else {
                for ip in external_hosts
                    .iter()
                    .filter(|a| a.is_ipv6() == v6 && **a != me)
                {
                    let _ = writeln!(b, "route add {} dev eth0", host_cidr(*ip));
                }
                if let Some(gw) = router_out {
                    let _ = writeln!(b, "route add {} dev eth0", host_cidr(gw));
                    for c in cidrs(&topo.internal, v6) {
                        let _ = writeln!(b, "route add {c} via {gw} dev eth0 onlink");
                    }
                }
            }
        }
        ns.batch(&b)?;
    }
    Ok(())
}

fn family_addr(h: &LabHost, f: Family) -> Option<IpAddr> {
    h.addr(f.is_v6())
}

struct Prediction {
    verdict: Verdict,
    by: String,
}

fn predict(
    plan: &Plan,
    s: &LabHost,
    d: &LabHost,
    from: IpAddr,
    to: IpAddr,
    t: Transport,
) -> Prediction {
    let flow = Flow::new(from, to, t);
    let profiles = Profiles {
        source: s.prediction_profile(),
        destination: d.prediction_profile(),
    };
    let report = check_flow(plan, &flow, profiles);
    let by = match report.blocking_stage() {
        Some(st) => st.summary.clone(),
        None => "every stage allows".to_string(),
    };
    Prediction {
        verdict: report.verdict,
        by,
    }
}

#[derive(Clone)]
struct NetJob {
    source: usize,
    destination: usize,
    family: Family,
    transport: Transport,
    from: IpAddr,
    to: IpAddr,
    governed: bool,
    /// Carried by UDP datagrams, so responders can say which probe arrived.
    id: u32,
}

/// Which hosts get TCP 22 and 80 listeners: the first workstation, the
/// first domain controller, the first Linux host and the internet host.
fn ungoverned_destinations(hosts: &[LabHost]) -> Vec<usize> {
    let mut out: Vec<usize> = [
        hosts.iter().position(|h| h.role == Some(Role::Workstation)),
        hosts
            .iter()
            .position(|h| h.role == Some(Role::DomainController)),
        hosts
            .iter()
            .position(|h| h.platform == Some(Platform::Linux)),
        hosts.iter().position(|h| h.kind == HostKind::Internet),
    ]
    .into_iter()
    .flatten()
    .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn password() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("Lab-{}-{nanos:x}", std::process::id())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Builds the estate as a lab, probes it and returns both matrices.
///
/// The estate is compiled with strategy `complement` (no IPsec in the lab);
/// predictions come from [`check_flow`] on that plan with each host's
/// profile. Needs CAP_NET_ADMIN and the programs in [`Tools`]. Everything
/// created is removed before returning (unless `keep`), also on error.
pub fn run(estate: &Estate, opts: &LabOptions) -> Result<LabReport, LabError> {
    match run_uninterrupted(estate, opts) {
        // A Ctrl-C sweep removes directories and namespaces under a running
        // step, which then fails with whatever error that causes (an
        // `smbpasswd` that cannot write its database, seen in CI). Once the
        // lab was interrupted, that is the one thing to report; calling
        // `interrupt` again waits for the sweep to finish, so the caller
        // never exits with the lab half torn down.
        Err(_) if interrupted() => {
            cleanup::interrupt();
            Err(LabError::Interrupted)
        }
        other => other,
    }
}

fn run_uninterrupted(estate: &Estate, opts: &LabOptions) -> Result<LabReport, LabError> {
    let started = Instant::now();
    let run = LabRun::start(estate, opts)?;
    let setup_done = Instant::now();
    check_interrupt()?;
    let live = run.audit_hosts()?;
    let audit_done = Instant::now();
    check_interrupt()?;
    let net = run.probe_transports()?;
    let probes_done = Instant::now();
    check_interrupt()?;
    let sessions = run.run_sessions()?;
    let sessions_done = Instant::now();
    check_interrupt()?;
    let (parts, kept) = run.finish()?;
    let end = Instant::now();
    let timings = Timings {
        setup_ms: millis(setup_done - started),
        audit_ms: millis(audit_done - setup_done),
        probes_ms: millis(probes_done - audit_done),
        sessions_ms: millis(sessions_done - probes_done),
        teardown_ms: millis(end - sessions_done),
        total_ms: millis(end - started),
    };
    Ok(parts.report(opts, live, net, sessions, timings, kept))
}

/// What a run derives from the estate before touching the system: the
/// plan it predicts with, the topology and every ruleset to load.
#[derive(Debug)]
struct Prepared {
    estate: Estate,
    estate_strategy: Strategy,
    plan: Plan,
    /// The plan the live rulesets are audited against (Windows groups as
    /// their first-match equivalent in their hosts' profile).
    audit_plan: Plan,
    topo: Topology,
    perimeter: String,
    /// Per host (topology order); `None` for hosts without a policy.
    rulesets: Vec<Option<String>>,
    prefix: String,
}

/// One lab, standing: [`LabRun::start`] derives everything from the
/// estate (no side effects), then builds the namespaces, Samba, listeners
/// and loads every ruleset with [`smbguard_deploy::apply`]; then each phase
/// ([`LabRun::audit_hosts`], [`LabRun::probe_transports`],
/// [`LabRun::run_sessions`]) returns what it found, and may run again.
/// [`run`] runs them in that order and writes the report. The lab is torn
/// down when the run is dropped, whatever phase failed.
#[derive(Debug)]
pub struct LabRun<'a> {
    opts: &'a LabOptions,
    tools: Tools,
    p: Prepared,
    lab: Lab,
    dir: PathBuf,
    password: String,
    /// Topology indices of the hosts serving SMB.
    smbd_hosts: Vec<usize>,
}

impl<'a> LabRun<'a> {
    /// Derives the lab from `estate` and builds it: every host's ruleset is
    /// loaded by [`smbguard_deploy::apply`] inside its namespace, with one
    /// state folder per host under [`LabRun::state_dir`]. Needs
    /// CAP_NET_ADMIN and the programs in [`Tools`].
    pub fn start(estate: &Estate, opts: &'a LabOptions) -> Result<Self, LabError> {
        if !has_net_admin() {
            return Err(LabError::NotRoot { what: "lab" });
        }
        let tools = Tools::find()?;
        samba::become_subreaper();
        let mut run = LabRun::prepare(estate, opts, tools)?;
        run.build()?;
        Ok(run)
    }

    /// The hosts, in topology order (each in the namespace it names).
    pub fn hosts(&self) -> &[LabHost] {
        &self.p.topo.hosts
    }

    /// The perimeter router.
    pub fn router(&self) -> &Router {
        &self.p.topo.router
    }

    /// The state folder root of the lab's applies: `netns-NAME` under it
    /// for each host and the router (`smbguard rollback --netns NAME` with
    /// `SMBGUARD_STATE_DIR` set to it, on a lab kept with `--keep`).
    pub fn state_dir(&self) -> PathBuf {
        self.dir.join("deploy")
    }

    fn prepare(estate: &Estate, opts: &'a LabOptions, tools: Tools) -> Result<Self, LabError> {
        let p = Prepared::derive(estate, opts)?;
        let lab = Lab {
            listeners: Vec::new(),
            smbds: Vec::new(),
            hosts: Vec::new(),
            router: None,
            dir: Some(TempDir::create(&format!("smbguard-lab-{}", p.prefix))?),
        };
        let dir = lab.dir.as_ref().map(|d| d.path.clone()).unwrap_or_default();
        Ok(LabRun {
            opts,
            tools,
            p,
            lab,
            dir,
            password: password(),
            smbd_hosts: Vec::new(),
        })
    }

    /// Network, Samba, listeners, rulesets.
    fn build(&mut self) -> Result<(), LabError> {
        check_interrupt()?;
        build_network(&self.tools, &self.p.topo, &mut self.lab)?;
        check_interrupt()?;
        self.start_smbd()?;
        check_interrupt()?;
        self.bind_listeners()?;
        self.load_rulesets()
    }

    fn start_smbd(&mut self) -> Result<(), LabError> {
        let hosts = &self.p.topo.hosts;
        for (i, h) in hosts.iter().enumerate() {
            if let Some(srv) = &h.smb {
                let base = self.dir.join(format!("smbd-{:02}", i + 1));
                let ns = &self.lab.hosts[i];
                let smb = &self.p.estate.smb;
                let s = Smbd::start(&self.tools, ns, &base, h, srv, smb, &self.password)?;
                self.lab.smbds.push(s);
                self.smbd_hosts.push(i);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        for (k, &i) in self.smbd_hosts.iter().enumerate() {
            let h = &hosts[i];
            let addr = h.addr(false).or(h.addr(true));
            if let Some(addr) = addr.map(|a| SocketAddr::new(a, 445)) {
                let path = self.lab.hosts[i].path();
                self.lab.smbds[k].wait_ready(&path, addr, deadline)?;
            }
        }
        Ok(())
    }

    /// TCP listeners and UDP responders for every governed transport a host
    /// does not serve with smbd, plus the ungoverned ports where probed.
    fn bind_listeners(&mut self) -> Result<(), LabError> {
        let transports = &self.p.plan.transports;
        let ungoverned_dsts = ungoverned_destinations(&self.p.topo.hosts);
        let ungoverned = ungoverned_ports(transports);
        for (i, h) in self.p.topo.hosts.iter().enumerate() {
            let served: &[u16] = if h.smb.is_some() { &[445, 139] } else { &[] };
            let ports = |proto: Proto| transports.iter().filter(move |t| t.proto == proto);
            let mut tcp: Vec<u16> = ports(Proto::Tcp)
                .filter(|t| !served.contains(&t.port))
                .map(|t| t.port)
                .collect();
            if ungoverned_dsts.contains(&i) {
                tcp.extend(&ungoverned);
            }
            let udp: Vec<u16> = ports(Proto::Udp).map(|t| t.port).collect();
            let ns = self.lab.hosts[i].path();
            let l = HostListeners::bind(&ns, &h.name, &tcp, &udp)?;
            self.lab.listeners.push(l);
        }
        Ok(())
    }

    /// The perimeter's forward chain on the router, every group host's
    /// nftables equivalent of its policy in its profile, each loaded the way
    /// a real host gets it: [`smbguard_deploy::apply`] inside its namespace
    /// (checked to touch only `table inet smbguard`, `nft -c`, the previous
    /// table saved in its state folder).
    fn load_rulesets(&mut self) -> Result<(), LabError> {
        let state_dir = self.state_dir();
        let apply = |host: &str, ns: &Netns, ruleset: &str| {
            let req = ApplyRequest {
                ruleset,
                state_dir: &state_dir,
                netns: Some(ns.name()),
                confirm: None,
            };
            smbguard_deploy::apply(&req)
                .map(|_| ())
                .map_err(|e| LabError::Apply {
                    host: host.to_string(),
                    detail: e.to_string(),
                })
        };
        if let Some(router) = &self.lab.router {
            apply(PERIMETER, router, &self.p.perimeter)?;
        }
        for (i, rs) in self.p.rulesets.iter().enumerate() {
            if let Some(rs) = rs {
                apply(&self.p.topo.hosts[i].name, &self.lab.hosts[i], rs)?;
            }
        }
        Ok(())
    }

    /// Every host's live ruleset (`nft -j list ruleset` in its namespace)
    /// judged against the plan of its group, and the router's against the
    /// perimeter: what `smbguard audit` would say of each, right now.
    pub fn audit_hosts(&self) -> Result<Vec<LiveAudit>, LabError> {
        let nft = &self.tools.nft;
        let listing = |host: &str, ns: &Netns| {
            run_cmd(ns.exec(nft).args(["-j", "list", "ruleset"]), None).map_err(|e| {
                LabError::Audit {
                    host: host.to_string(),
                    detail: e.to_string(),
                }
            })
        };
        let plan = &self.p.audit_plan;
        let mut out = Vec::new();
        if let Some(router) = &self.lab.router {
            let json = listing(PERIMETER, router)?;
            out.push(live_audit::judge(
                plan,
                &json,
                PERIMETER,
                None,
                router.name(),
            )?);
        }
        let built = self.p.topo.hosts.iter().zip(&self.lab.hosts);
        for (h, ns) in built.filter(|(h, _)| h.group.is_some()) {
            let json = listing(&h.name, ns)?;
            let group = h.group.as_deref();
            out.push(live_audit::judge(plan, &json, &h.name, group, ns.name())?);
        }
        Ok(out)
    }

    /// Every pair of hosts, every governed transport, both families; the
    /// ungoverned ports to the hosts listening on them.
    pub fn probe_transports(&self) -> Result<TransportProbes, LabError> {
        let hosts = &self.p.topo.hosts;
        let jobs = net_jobs(hosts, &self.p.plan.transports);
        let results = probe::parallel(
            &jobs,
            48,
            |j| Some(ns_path(&hosts[j.source].netns)),
            run_net_job,
        );
        check_interrupt()?;
        // Give the last datagrams time to arrive, then read what every responder saw.
        std::thread::sleep(Duration::from_millis(250));
        let mut seen: BTreeSet<u32> = BTreeSet::new();
        for l in &self.lab.listeners {
            seen.extend(l.drain_udp());
        }
        let mut out = TransportProbes::default();
        for (j, r) in jobs.iter().zip(results) {
            let probe = self.judge(j, r, &seen);
            if j.governed {
                out.probes.push(probe);
            } else {
                out.ungoverned.push(probe);
            }
        }
        Ok(out)
    }

    /// One probe's observation beside its prediction.
    fn judge(&self, j: &NetJob, r: Option<(Observed, String)>, seen: &BTreeSet<u32>) -> Probe {
        let (s, d) = (
            &self.p.topo.hosts[j.source],
            &self.p.topo.hosts[j.destination],
        );
        let (mut observed, mut detail) = r.unwrap_or((
            Observed::Error,
            "probe not run (interrupted or namespace error)".into(),
        ));
        if j.transport.proto == Proto::Udp && observed == Observed::Dropped && seen.contains(&j.id)
        {
            observed = Observed::Delivered;
            detail = "the responder received the datagram".into();
        }
        let p = predict(&self.p.plan, s, d, j.from, j.to, j.transport);
        // Outside the plan, the lab's stand-ins carry only the plan's rules,
        // so the expectation is "the plan leaves it alone"; `check`'s own
        // verdict (which includes profile defaults) is kept beside it.
        let (predicted, predicted_by, check) = if j.governed {
            (p.verdict, p.by, None)
        } else {
            let by = format!(
                "outside the plan: the lab's chains carry only the plan's rules; `check` on the real hosts: {} ({})",
                p.verdict.as_str(),
                p.by
            );
            (Verdict::Allow, by, Some(p.verdict))
        };
        Probe {
            source: s.name.clone(),
            destination: d.name.clone(),
            family: j.family,
            transport: j.transport,
            from: j.from,
            to: j.to,
            predicted,
            predicted_by,
            differs: observed.verdict() != predicted,
            observed,
            detail,
            check,
        }
    }

    /// Real `smbclient` sessions from every host to every smbd.
    pub fn run_sessions(&self) -> Result<Vec<Session>, LabError> {
        let (client_conf, auth_file) =
            samba::prepare_client(&self.dir.join("smbclient"), &self.password)?;
        let hosts = &self.p.topo.hosts;
        let mut jobs = Vec::new();
        let mut meta = Vec::new();
        for (si, s) in hosts.iter().enumerate() {
            for &di in self.smbd_hosts.iter().filter(|&&di| di != si) {
                let d = &hosts[di];
                let Some(srv) = &d.smb else { continue };
                for family in Family::BOTH {
                    let (Some(from), Some(to)) = (family_addr(s, family), family_addr(d, family))
                    else {
                        continue;
                    };
                    let reach = predict(&self.p.plan, s, d, from, to, Transport::SMB).verdict;
                    for kind in [SessionKind::Smb3Encrypted, SessionKind::Smb1] {
                        jobs.push(SessionJob {
                            ip: self.tools.ip.clone(),
                            smbclient: self.tools.smbclient.clone(),
                            netns: s.netns.clone(),
                            client_conf: client_conf.clone(),
                            server_name: d.name.clone(),
                            share: srv.share.clone(),
                            addr: to,
                            kind,
                            auth_file: auth_file.clone(),
                        });
                        let predicted = predict_session(reach, kind, srv.min_protocol);
                        meta.push((si, di, family, kind, predicted));
                    }
                }
            }
        }
        let outcomes = run_session_jobs(&jobs);
        let sessions = meta.into_iter().zip(outcomes);
        Ok(sessions
            .map(|((si, di, family, kind, predicted), r)| {
                let (observed, detail) = r.map_or(
                    (
                        SessionOutcome::Failed,
                        "session not run (interrupted)".to_string(),
                    ),
                    |r| (r.outcome, r.detail),
                );
                Session {
                    source: hosts[si].name.clone(),
                    destination: hosts[di].name.clone(),
                    family,
                    kind,
                    predicted,
                    observed,
                    detail,
                    differs: predicted != observed,
                }
            })
            .collect())
    }

    /// Tears the lab down (or keeps it, with `--keep`).
    fn finish(mut self) -> Result<(Finished, Option<Kept>), LabError> {
        let kept = if self.opts.keep {
            Some(self.lab.keep(&self.tools.ip))
        } else {
            self.lab.teardown()?;
            None
        };
        let smbd_names = self
            .smbd_hosts
            .iter()
            .map(|&i| self.p.topo.hosts[i].name.clone())
            .collect();
        Ok((
            Finished {
                p: self.p,
                smbd_names,
            },
            kept,
        ))
    }
}

/// What is left of a run once the lab is gone: enough to write the report.
struct Finished {
    p: Prepared,
    smbd_names: Vec<String>,
}

impl Finished {
    fn report(
        self,
        opts: &LabOptions,
        live_audit: Vec<LiveAudit>,
        net: TransportProbes,
        sessions: Vec<Session>,
        timings: Timings,
        kept: Option<Kept>,
    ) -> LabReport {
        let p = self.p;
        LabReport {
            notes: notes(
                p.estate_strategy,
                opts.workstation_profile,
                &self.smbd_names,
            ),
            not_exercised: not_exercised(p.estate_strategy),
            estate: p.estate.name.clone(),
            estate_strategy: p.estate_strategy,
            lab_strategy: Strategy::Complement,
            workstation_profile: opts.workstation_profile,
            transports: p.plan.transports.clone(),
            hosts: p.topo.hosts,
            router: p.topo.router,
            live_audit,
            probes: net.probes,
            sessions,
            ungoverned: net.ungoverned,
            timings,
            kept,
        }
    }
}

impl Prepared {
    /// Compiles with `complement`, derives the topology, renders rulesets.
    fn derive(estate: &Estate, opts: &LabOptions) -> Result<Prepared, LabError> {
        let mut estate = estate.clone();
        let estate_strategy = estate.strategy;
        estate.strategy = Strategy::Complement;
        let plan = compile(&estate).map_err(compile_error)?;
        let run_no = RUNS.fetch_add(1, Ordering::SeqCst);
        let prefix = format!("sg{}r{run_no}", std::process::id());
        let topo = topology::derive(
            &estate,
            &TopologyOptions {
                prefix: prefix.clone(),
                workstation_profile: opts.workstation_profile,
                smb1: estate.smb.smb1,
            },
        )?;
        let cx = EmitContext {
            estate: &estate,
            plan: &plan,
            version: env!("CARGO_PKG_VERSION"),
            unsafe_reason: None,
        };
        let hook = |name: &str, text: String| match &opts.ruleset_hook {
            Some(h) => h(name, text),
            None => text,
        };
        let perimeter = hook(PERIMETER, perimeter_ruleset(&cx));
        let mut rulesets = Vec::new();
        for h in &topo.hosts {
            let Some(gi) = h.group_index else {
                rulesets.push(None);
                continue;
            };
            let text =
                host_ruleset(&cx, gi, h.prediction_profile()).map_err(|e| LabError::Emit {
                    what: h.name.clone(),
                    detail: e.to_string(),
                })?;
            rulesets.push(Some(hook(&h.name, text)));
        }
        let audit_plan = live_audit::stand_in_plan(&cx, &topo.hosts)?;
        Ok(Prepared {
            estate,
            estate_strategy,
            audit_plan,
            plan,
            topo,
            perimeter,
            rulesets,
            prefix,
        })
    }
}

/// TCP ports the plan does not govern that the lab probes.
fn ungoverned_ports(transports: &[Transport]) -> Vec<u16> {
    UNGOVERNED_PORTS
        .into_iter()
        .filter(|p| {
            !transports
                .iter()
                .any(|t| t.proto == Proto::Tcp && t.port == *p)
        })
        .collect()
}

/// The transport probes: every ordered pair, both families.
fn net_jobs(hosts: &[LabHost], transports: &[Transport]) -> Vec<NetJob> {
    let ungoverned_dsts = ungoverned_destinations(hosts);
    let ungoverned = ungoverned_ports(transports);
    let mut jobs = Vec::new();
    for (si, s) in hosts.iter().enumerate() {
        for (di, d) in hosts.iter().enumerate().filter(|(di, _)| *di != si) {
            for family in Family::BOTH {
                let (Some(from), Some(to)) = (family_addr(s, family), family_addr(d, family))
                else {
                    continue;
                };
                let extra = if ungoverned_dsts.contains(&di) {
                    &ungoverned[..]
                } else {
                    &[]
                };
                let governed = transports.iter().map(|&t| (t, true));
                let other = extra.iter().map(|&port| {
                    let t = Transport {
                        proto: Proto::Tcp,
                        port,
                    };
                    (t, false)
                });
                for (transport, governed) in governed.chain(other) {
                    let id = u32::try_from(jobs.len()).unwrap_or(u32::MAX);
                    jobs.push(NetJob {
                        source: si,
                        destination: di,
                        family,
                        transport,
                        from,
                        to,
                        governed,
                        id,
                    });
                }
            }
        }
    }
    jobs
}

fn run_net_job(j: &NetJob) -> (Observed, String) {
    let dest = SocketAddr::new(j.to, j.transport.port);
    match j.transport.proto {
        Proto::Tcp => probe::tcp_connect(dest),
        Proto::Udp => match probe::udp_send(dest, j.id) {
            Ok(()) => (
                Observed::Dropped,
                "datagram sent; the responder never saw it".to_string(),
            ),
            Err(e) => (Observed::Error, format!("send failed: {e}")),
        },
    }
}

/// What a session should do given whether tcp/445 is predicted open.
fn predict_session(reach: Verdict, kind: SessionKind, min_protocol: &str) -> SessionOutcome {
    match (reach, kind) {
        (Verdict::Block, _) => SessionOutcome::Unreachable,
        (Verdict::Allow, SessionKind::Smb3Encrypted) => SessionOutcome::Established,
        (Verdict::Allow, SessionKind::Smb1) if min_protocol == "NT1" => SessionOutcome::Established,
        (Verdict::Allow, SessionKind::Smb1) => SessionOutcome::Refused,
    }
}

/// Runs the sessions; those we had to kill never finished, not even by
/// smbclient's own connect timeout (the machine was too busy): retried,
/// fewer at once.
fn run_session_jobs(jobs: &[SessionJob]) -> Vec<Option<probe::SessionRun>> {
    let mut outcomes = probe::parallel(jobs, 64, |_| None, probe::session);
    for round in 0..2 {
        let retry: Vec<usize> = (0..outcomes.len())
            .filter(|&i| outcomes[i].as_ref().is_some_and(|r| r.killed))
            .collect();
        if retry.is_empty() || interrupted() {
            break;
        }
        let again: Vec<SessionJob> = retry.iter().map(|&i| jobs[i].clone()).collect();
        let redo = probe::parallel(&again, 8 >> round, |_| None, probe::session);
        for (i, r) in retry.into_iter().zip(redo) {
            outcomes[i] = r;
        }
    }
    outcomes
}

/// The lab has no IPsec between namespaces, so the authenticated bypass
/// (strategy `ipsec-bypass`, and with it the bypass rules) never runs.
fn not_exercised(estate_strategy: Strategy) -> Vec<String> {
    let whose = if estate_strategy == Strategy::IpsecBypass {
        "the estate's own strategy"
    } else {
        "not the estate's strategy, but its alternative"
    };
    vec![format!(
        "strategy \"ipsec-bypass\" ({whose}): the namespaces have no IPsec (no Kerberos-authenticated connection security between hosts), so its bypass rules cannot be exercised; the lab ran \"complement\" instead"
    )]
}

fn notes(estate_strategy: Strategy, ws: Profile, smbd_names: &[String]) -> Vec<String> {
    let instead = if estate_strategy == Strategy::Complement {
        String::new()
    } else {
        format!(" instead of its own \"{}\"", strategy_name(estate_strategy))
    };
    vec![
        format!(
            "IPsec is not available in the lab: the estate is compiled with strategy \"complement\" (block rules whose remote addresses are the complement of the allowed servers){instead}; the prediction uses the same plan."
        ),
        format!(
            "Windows hosts are stood in by Linux with the nftables equivalent of their Windows Defender Firewall policy in their profile: workstations {ws}, other Windows hosts Domain. The perimeter router loads the perimeter ruleset (forward chain)."
        ),
        format!(
            "Real Samba smbd serves on {}; SMB sessions are real smbclient runs on tcp/445.",
            smbd_names.join(", ")
        ),
    ]
}

fn strategy_name(s: Strategy) -> &'static str {
    match s {
        Strategy::IpsecBypass => "ipsec-bypass",
        Strategy::Complement => "complement",
    }
}
