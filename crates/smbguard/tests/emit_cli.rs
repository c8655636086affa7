//! `smbguard emit`: files written, exit codes, determinism, the unsafe guard.

use std::path::{Path, PathBuf};
use std::process::Output;

fn smbguard(args: &[&str]) -> Output {
    smbguard_testkit::smbguard!().output(args)
}

/// A path for an output directory that does not exist yet.
fn temp(name: &str) -> PathBuf {
    smbguard_testkit::scratch_dir("emit-cli").join(name)
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .expect("inside")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read(&p).expect("read")));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn emits_every_windows_target_for_the_example() {
    let out = temp("all");
    let o = smbguard(&[
        "emit",
        "--target",
        "windows",
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("wrote "), "{stdout}");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("skip Linux groups: nas"), "{stderr}");
    let names: Vec<String> = files(&out).into_iter().map(|(n, _)| n).collect();
    for want in [
        "index.json",
        "workstations.powershell.ps1",
        "workstations.netsh.cmd",
        "kiosks.powershell.ps1",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    assert!(names.iter().any(|n| n.starts_with("gpo/workstations/")
        && n.ends_with("/DomainSysvol/GPO/Machine/registry.pol")));
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("gpo/kiosks/") && n.ends_with("/Services.xml"))
    );
    assert!(
        !names.iter().any(|n| n.starts_with("nas.")),
        "Linux group skipped"
    );
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).expect("index"))
            .expect("json");
    assert!(index["artifacts"].as_array().expect("list").len() + 1 == names.len());
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn emitting_twice_gives_identical_bytes() {
    let (a, b) = (temp("det-a"), temp("det-b"));
    for d in [&a, &b] {
        let o = smbguard(&[
            "emit",
            "--target",
            "powershell,netsh,gpo",
            "--out",
            d.to_str().expect("utf8"),
        ]);
        assert!(o.status.success());
    }
    assert_eq!(files(&a), files(&b));
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn one_target_only() {
    let out = temp("ps");
    let o = smbguard(&[
        "emit",
        "--target",
        "powershell",
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert!(o.status.success());
    assert!(
        files(&out)
            .iter()
            .all(|(n, _)| n.ends_with(".ps1") || n == "index.json")
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn bad_input_exits_2() {
    let out = temp("bad");
    let dir = out.to_str().expect("utf8");
    for args in [
        vec!["emit", "--target", "bogus", "--out", dir],
        vec!["emit", "/nonexistent/estate.toml", "--out", dir],
        vec!["emit", "--allow-unsafe", " ", "--out", dir],
    ] {
        let o = smbguard(&args);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert!(!out.exists(), "nothing written on bad input");
}

const UNSAFE: &str = r#"
[estate]
name = "unsafe"
internal = ["10.0.0.0/8"]
[[groups]]
name = "dc"
role = "domain-controller"
addresses = ["10.0.0.10"]
sid = "S-1-5-21-1-2-3-516"
clients = ["10.9.0.0/24"]
[[groups]]
name = "ws"
role = "workstation"
addresses = ["10.1.0.0/24"]
sid = "S-1-5-21-1-2-3-515"
"#;

#[test]
fn an_unsafe_plan_needs_a_reason() {
    let dir = temp("unsafe");
    std::fs::create_dir_all(&dir).expect("dir");
    let estate = dir.join("estate.toml");
    std::fs::write(&estate, UNSAFE).expect("write");
    let out = dir.join("out");
    let (e, o) = (estate.to_str().expect("utf8"), out.to_str().expect("utf8"));
    let refused = smbguard(&["emit", e, "--target", "windows", "--out", o]);
    assert_eq!(
        refused.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!out.exists());
    let forced = smbguard(&[
        "emit",
        e,
        "--target",
        "windows",
        "--out",
        o,
        "--allow-unsafe",
        "lab: DC clients not final",
    ]);
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    let ps = std::fs::read_to_string(out.join("ws.powershell.ps1")).expect("script");
    assert!(ps.contains("# UNSAFE: emitted although built-in invariants fail; reason given: lab: DC clients not final"));
    let _ = std::fs::remove_dir_all(&dir);
}
