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

/// DCs that accept only an unused range lock the workstations out of Group
/// Policy (I3). That is refused at load, located and naming the invariant,
/// and `--allow-unsafe` (which only lets a plan that fails `verify` through)
/// cannot override it: nothing is written either way.
#[test]
fn an_estate_that_breaks_i3_is_refused_at_load_even_with_allow_unsafe() {
    let dir = temp("unsafe");
    std::fs::create_dir_all(&dir).expect("dir");
    let estate = dir.join("estate.toml");
    std::fs::write(&estate, UNSAFE).expect("write");
    let out = dir.join("out");
    let (e, o) = (estate.to_str().expect("utf8"), out.to_str().expect("utf8"));
    let refused = smbguard(&["emit", e, "--target", "windows", "--out", o]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("estate.toml:12:8"), "{stderr}");
    assert!(stderr.contains("member-without-dc"), "{stderr}");
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
    assert_eq!(forced.status.code(), Some(2));
    assert!(!out.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The example estate with every quoted occurrence of group `from` renamed.
fn renamed(dir: &Path, pairs: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/contoso.toml"),
    )
    .expect("example");
    for (from, to) in pairs {
        text = text.replace(&format!("\"{from}\""), &format!("\"{to}\""));
    }
    std::fs::create_dir_all(dir).expect("dir");
    let p = dir.join("estate.toml");
    std::fs::write(&p, text).expect("write estate");
    p
}

fn emit_into(estate: &Path, out: &Path) -> Output {
    smbguard(&[
        "emit",
        estate.to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
    ])
}

#[test]
fn emit_does_not_write_through_symlink() {
    // A link at an artefact path, at index.json, at a family folder and at a
    // group's GPO folder: each is refused, and nothing is written anywhere.
    for (i, link) in [
        "workstations.powershell.ps1",
        "index.json",
        "nftables",
        "gpo/workstations",
    ]
    .into_iter()
    .enumerate()
    {
        let dir = temp(&format!("symlink-{i}"));
        let out = dir.join("out");
        let victim = dir.join("victim");
        std::fs::create_dir_all(out.join("gpo")).expect("out");
        let target = if link.contains('.') {
            std::fs::write(&victim, "precious").expect("victim");
            victim.clone()
        } else {
            std::fs::create_dir_all(&victim).expect("victim dir");
            victim.clone()
        };
        std::os::unix::fs::symlink(&target, out.join(link)).expect("link");
        let before = files(&dir);
        let o = emit_into(&renamed(&dir, &[]), &out);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{link}: {stderr}");
        assert!(
            stderr.contains("symbolic link") || stderr.contains("not a regular file"),
            "{link}: {stderr}"
        );
        let after: Vec<(String, Vec<u8>)> = files(&dir)
            .into_iter()
            .filter(|(n, _)| n != "estate.toml")
            .collect();
        let before: Vec<(String, Vec<u8>)> = before
            .into_iter()
            .filter(|(n, _)| n != "estate.toml")
            .collect();
        assert_eq!(after, before, "{link}: something was written");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_file_where_a_folder_belongs_leaves_out_unchanged() {
    let dir = temp("gpo-file");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).expect("out");
    std::fs::write(out.join("gpo"), "a plain file").expect("gpo");
    let o = emit_into(&renamed(&dir, &[]), &out);
    assert_eq!(o.status.code(), Some(2));
    let names: Vec<String> = files(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, vec!["gpo".to_string()], "nothing else was written");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn perimeter_group_name_collision_is_refused() {
    let dir = temp("perimeter");
    let out = dir.join("out");
    let o = emit_into(&renamed(&dir, &[("nas", "perimeter")]), &out);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error[unwritable-name]") && stderr.contains("estate.toml:"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing written");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn windows_reserved_names_are_refused() {
    for bad in ["CON", "nul", "COM1.txt", "kiosks.", "Members"] {
        let dir = temp(&format!("reserved-{}", bad.len()));
        let out = dir.join("out");
        let o = emit_into(&renamed(&dir, &[("kiosks", bad)]), &out);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{bad}: {stderr}");
        assert!(stderr.contains("unwritable-name"), "{bad}: {stderr}");
        assert!(!out.exists(), "{bad}: nothing written");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn stale_artefacts_are_removed_and_reported() {
    let dir = temp("stale");
    let out = dir.join("out");
    assert!(emit_into(&renamed(&dir, &[]), &out).status.success());
    std::fs::write(out.join("notes.txt"), "mine").expect("foreign");
    let o = emit_into(&renamed(&dir, &[("kiosks", "booths")]), &out);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains("removed") && stderr.contains("kiosks.powershell.ps1"),
        "{stderr}"
    );
    assert!(stderr.contains("notes.txt"), "{stderr}");
    let names: Vec<String> = files(&out).into_iter().map(|(n, _)| n).collect();
    assert!(names.iter().all(|n| !n.contains("kiosks")), "{names:?}");
    assert!(names.contains(&"booths.powershell.ps1".to_string()));
    assert!(names.contains(&"notes.txt".to_string()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ansible_group_named_all_cannot_target_every_host() {
    for name in ["all", "ungrouped", "localhost"] {
        let dir = temp(&format!("ansible-{name}"));
        let out = dir.join("out");
        let o = emit_into(&renamed(&dir, &[("nas", name)]), &out);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let yml = std::fs::read_to_string(out.join("ansible/smbguard.yml")).expect("playbook");
        assert!(
            yml.contains(&format!("hosts: \"smbguard_{name}\"")),
            "{yml}"
        );
        assert!(!yml.contains(&format!("hosts: \"{name}\"")), "{yml}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn groups_mapping_to_one_slug_get_distinct_files() {
    let dir = temp("slugs");
    let out = dir.join("out");
    // Three Linux groups whose names once slugged alike: `a-b-0`, `a-b-1`,
    // `a-b-1`, two files for three groups.
    let mut text =
        "[estate]\nname = \"slugs\"\ninternal = [\"198.18.0.0/15\"]\nstrategy = \"complement\"\n"
            .to_string();
    for (name, addr) in [
        ("a/b", "198.18.1.30"),
        ("a:b", "198.18.1.31"),
        ("a-b-1", "198.18.1.32"),
    ] {
        text.push_str(&format!(
            "\n[[groups]]\nname = \"{name}\"\nrole = \"member\"\nplatform = \"linux\"\naddresses = [\"{addr}\"]\n"
        ));
    }
    std::fs::create_dir_all(&dir).expect("dir");
    let estate = dir.join("estate.toml");
    std::fs::write(&estate, text).expect("estate");
    let o = emit_into(&estate, &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let index = std::fs::read_to_string(out.join("index.json")).expect("index");
    let doc: serde_json::Value = serde_json::from_str(&index).expect("json");
    let paths: Vec<&str> = doc["artifacts"]
        .as_array()
        .expect("list")
        .iter()
        .map(|a| a["path"].as_str().expect("path"))
        .collect();
    let mut unique = paths.clone();
    unique.sort_by_key(|p| p.to_lowercase());
    unique.dedup_by_key(|p| p.to_lowercase());
    assert_eq!(unique.len(), paths.len());
    for p in &paths {
        assert!(out.join(p).is_file(), "{p} listed and written");
    }
    let nft = paths
        .iter()
        .filter(|p| p.starts_with("nftables/a-b"))
        .count();
    assert_eq!(nft, 3, "one nftables file per group: {paths:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn confusable_names_are_refused_at_parse_time() {
    for invisible in ['\u{200B}', '\u{200D}', '\u{202E}', '\u{2066}', '\u{FEFF}'] {
        let dir = temp(&format!("confusable-{:x}", u32::from(invisible)));
        let out = dir.join("out");
        let o = emit_into(
            &renamed(&dir, &[("kiosks", &format!("kio{invisible}sks"))]),
            &out,
        );
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("error[confusable-name]") && stderr.contains("estate.toml:"),
            "{stderr}"
        );
        assert!(!out.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_1mb_group_name_gets_a_short_diagnostic() {
    let dir = temp("long-name");
    let out = dir.join("out");
    let long = "k".repeat(1 << 20);
    let o = emit_into(&renamed(&dir, &[("kiosks", &long)]), &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        o.stderr.len() < 4096,
        "{} bytes of diagnostics",
        o.stderr.len()
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("longer than 64 characters"));
    let _ = std::fs::remove_dir_all(&dir);
}
