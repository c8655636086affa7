//! Shared helpers of the non-Windows target tests: estates, tool checks,
//! throwaway network namespaces, random estates.
#![allow(dead_code, unreachable_pub)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use smbguard_emit::EmitContext;
use smbguard_model::{EXAMPLE_ESTATE, Estate, Strategy as OutboundStrategy, parse_estate};
use smbguard_semantics::{Plan, compile};

/// The example estate compiled with `strategy`.
pub fn example(strategy: OutboundStrategy) -> (Estate, Plan) {
    let mut estate = parse_estate(EXAMPLE_ESTATE).expect("example parses").estate;
    estate.strategy = strategy;
    let plan = compile(&estate).expect("example compiles");
    (estate, plan)
}

/// An estate from TOML text, compiled.
pub fn from_toml(text: &str) -> Option<(Estate, Plan)> {
    let estate = parse_estate(text).ok()?.estate;
    let plan = compile(&estate).ok()?;
    Some((estate, plan))
}

/// The context every test uses.
pub fn cx<'a>(estate: &'a Estate, plan: &'a Plan) -> EmitContext<'a> {
    EmitContext {
        estate,
        plan,
        version: "0.1.0",
        unsafe_reason: None,
    }
}

fn require_tools() -> bool {
    std::env::var("SMBGUARD_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// True when every tool is installed and we are root. Otherwise a loud
/// SKIPPED on stderr, or a failure under `SMBGUARD_REQUIRE_TOOLS=1`.
pub fn tools_or_skip(test: &str, tools: &[&str], need_root: bool) -> bool {
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !have(t)).collect();
    let why = if !missing.is_empty() {
        format!("missing {}", missing.join(", "))
    } else if need_root && !is_root() {
        "not root (nft -c and network namespaces need CAP_NET_ADMIN)".to_string()
    } else {
        return true;
    };
    if require_tools() {
        panic!("{test}: {why}, and SMBGUARD_REQUIRE_TOOLS=1");
    }
    // Straight to the stderr handle: libtest does not capture it, so the
    // skip is visible even when the test passes.
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
    false
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A unique scratch file path.
pub fn scratch(ext: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    std::env::temp_dir().join(format!("smbguard-tv-{}-{n}.{ext}", std::process::id()))
}

/// A scratch file deleted on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// Writes `text` to a new scratch file.
    pub fn with(text: &str, ext: &str) -> Self {
        let p = scratch(ext);
        std::fs::write(&p, text).expect("write scratch file");
        Scratch(p)
    }

    /// The path as a string.
    pub fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A network namespace of our own, deleted on drop (also when a test fails).
pub struct Netns {
    pub name: String,
}

impl Netns {
    /// Creates `smbguard-tv-<pid>-<n>`; panics when it cannot (callers check
    /// [`tools_or_skip`] first).
    pub fn new() -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("smbguard-tv-{}-{n}", std::process::id());
        let out = Command::new("ip")
            .args(["netns", "add", &name])
            .output()
            .expect("run ip netns add");
        assert!(
            out.status.success(),
            "ip netns add {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Netns { name }
    }

    /// Runs a command inside the namespace.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(args)
            .output()
            .expect("run ip netns exec")
    }

    /// Runs a command inside the namespace and returns its stdout; panics
    /// with stderr and `context` on failure.
    pub fn ok(&self, args: &[&str], context: &str) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{} failed on {context}:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// One random group: (role, linux, address slot, v6, client choice).
type GroupSeed = (u8, bool, u8, bool, u8);

fn group_toml(i: usize, seed: GroupSeed, names: &[String]) -> String {
    let (role, linux, slot, v6, clients) = seed;
    let role = [
        "domain-controller",
        "file-server",
        "member",
        "workstation",
        "isolated",
    ][usize::from(role) % 5];
    let linux = linux && role != "isolated";
    let mut addrs = vec![match slot % 4 {
        0 => format!("198.18.{}.0/24", 10 + i),
        1 => format!("198.18.{}.{}", 10 + i, 1 + slot),
        2 => format!("198.18.{}.16-198.18.{}.40", 10 + i, 10 + i),
        _ => format!("198.19.{}.0/28", i * 16),
    }];
    if v6 {
        addrs.push(format!("2001:db8:1:{}::/64", 10 + i));
    }
    let quoted: Vec<String> = addrs.iter().map(|a| format!("\"{a}\"")).collect();
    let mut t = format!(
        "[[groups]]\nname = \"{}\"\nrole = \"{role}\"\naddresses = [{}]\n",
        names[i],
        quoted.join(", ")
    );
    if linux {
        t.push_str("platform = \"linux\"\n");
    } else if role != "isolated" {
        t.push_str(&format!(
            "sid = \"S-1-5-21-1004336348-1177238915-682003330-{}\"\n",
            3000 + i
        ));
    }
    let others: Vec<&String> = names
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, n)| n)
        .collect();
    let pick = |k: u8| -> String {
        if others.is_empty() || k % 3 == 0 {
            "\"198.18.200.0/22\"".to_string()
        } else {
            format!("\"{}\"", others[usize::from(k) % others.len()])
        }
    };
    match role {
        "file-server" => t.push_str(&format!("clients = [{}]\n", pick(clients))),
        "domain-controller" if clients % 2 == 1 => {
            t.push_str(&format!("clients = [{}]\n", pick(clients / 2)));
        }
        _ => {}
    }
    t
}

/// A random valid-ish estate as TOML (callers skip the few that do not compile).
pub fn estate_toml() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        any::<bool>(),
        proptest::sample::subsequence(vec!["tcp/139", "udp/137", "udp/138", "udp/443", "tcp/5445"], 0..=5),
        proptest::collection::vec((0u8..5, any::<bool>(), any::<u8>(), any::<bool>(), any::<u8>()), 2..6),
        proptest::option::of((any::<u8>(), any::<u8>())),
        proptest::option::of((0u8..3, 0u8..6)),
    )
        .prop_map(|(complement, netbios, extra, groups, mgmt, perimeter)| {
            let mut transports = vec!["\"tcp/445\"".to_string()];
            transports.extend(extra.iter().map(|t| format!("\"{t}\"")));
            let names: Vec<String> = (0..groups.len()).map(|i| format!("g{i}")).collect();
            let mut t = format!(
                "[estate]\nname = \"random\"\ninternal = [\"198.18.0.0/15\", \"2001:db8:1::/48\"]\nstrategy = \"{}\"\ntransports = [{}]\n\n[smb]\nnetbios = {netbios}\n\n",
                if complement { "complement" } else { "ipsec-bypass" },
                transports.join(", ")
            );
            for (i, g) in groups.iter().enumerate() {
                t.push_str(&group_toml(i, *g, &names));
                t.push('\n');
            }
            if let Some((a, b)) = mgmt {
                let (a, b) = (usize::from(a) % names.len(), usize::from(b) % names.len());
                if a != b {
                    t.push_str(&format!(
                        "[[management]]\nname = \"mgmt\"\nfrom = [\"{}\"]\nto = [\"{}\"]\ntransports = [\"tcp/445\"]\n\n",
                        names[a], names[b]
                    ));
                }
            }
            if let Some((dir, k)) = perimeter {
                let dir = ["outbound", "inbound", "both"][usize::from(dir)];
                t.push_str(&format!(
                    "[[perimeter.allow]]\nname = \"cloud\"\naddresses = [\"203.0.113.{}/28\", \"2001:db8:ff::/64\"]\ndirection = \"{dir}\"\ntransports = [\"tcp/445\"]\nrequire-encryption = true\n",
                    16 * u16::from(k)
                ));
            }
            t
        })
}
