//! The detection targets pass their languages' own checkers: every Sigma
//! rule `sigma check` and `sigma convert` to Splunk and Elasticsearch
//! (pySigma backends), the Suricata rules `suricata-check` with no error,
//! the Zeek scripts `zeek-script parse` with no error. Required under
//! `SMBGUARD_REQUIRE_TOOLS=1` (scripts/test.sh installs them from PyPI),
//! skipped loudly otherwise. Also: user strings stay inside their quotes.

use std::path::Path;
use std::process::Command;

use smbguard_emit::{Artifact, Target, emit};

use crate::detection_semantics::FIXTURE_ESTATE;
use crate::nonwin_support::{cx, example, from_toml};

const HOSTILE: &str = r#"
[estate]
name = "evil \"q\" \\ ; ' ) | $x {{ y }} # z"
internal = ["198.18.0.0/15", "2001:db8:1::/48"]

[[groups]]
name = "dc \"one\" ; ' \\"
role = "domain-controller"
addresses = ["198.18.0.10"]

[[groups]]
name = "ws ü ' \" ;"
role = "workstation"
addresses = ["198.18.16.0/20"]

[[perimeter.allow]]
name = "cloud ' \" ; \\"
addresses = ["203.0.113.80/28"]
direction = "both"
transports = ["tcp/445"]
"#;

fn detection(estate_toml: Option<&str>) -> Vec<Artifact> {
    let (estate, plan) = match estate_toml {
        Some(t) => from_toml(t).expect("estate compiles"),
        None => example(smbguard_model::Strategy::IpsecBypass),
    };
    emit(
        &cx(&estate, &plan),
        &[Target::Suricata, Target::Zeek, Target::Sigma],
    )
    .expect("emits")
}

/// Writes the artefacts under a fresh folder, returning it.
fn write(arts: &[Artifact]) -> std::path::PathBuf {
    let dir = smbguard_testkit::scratch_dir("detection-tools");
    for a in arts {
        let p = dir.join(&a.path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, &a.contents).expect("write");
    }
    dir
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{what} failed:\n{text}");
    text
}

fn sigma_checks(dir: &Path) {
    let rules = dir.join("sigma");
    let text = run(
        Command::new("sigma").arg("check").arg(&rules),
        "sigma check",
    );
    assert!(
        text.contains("Found 0 errors, 0 condition errors and 0 issues."),
        "sigma check: {text}"
    );
    // One file at a time (sigma-cli 3.1.0 fails writing several results to
    // stdout); the correlation converts for Splunk and EQL, which have
    // correlations, the others for Splunk and Lucene.
    let mut files: Vec<_> = std::fs::read_dir(&rules)
        .expect("sigma dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for f in &files {
        let correlation = std::fs::read_to_string(f)
            .expect("rule")
            .contains("correlation:");
        let elastic = if correlation { "eql" } else { "lucene" };
        for (backend, pipeline) in [("splunk", "splunk_windows"), (elastic, "ecs_windows")] {
            let out = dir.join("converted.txt");
            run(
                Command::new("sigma")
                    .args(["convert", "-t", backend, "-p", pipeline, "-o"])
                    .arg(&out)
                    .arg(f),
                &format!("sigma convert -t {backend} {}", f.display()),
            );
            let query = std::fs::read_to_string(&out).expect("converted");
            assert!(!query.trim().is_empty(), "{backend}: {}", f.display());
        }
    }
    assert!(files.len() >= 9, "{} Sigma files", files.len());
}

fn suricata_checks(dir: &Path) {
    let out = dir.join("suricata-check");
    run(
        Command::new("suricata-check")
            .arg("-r")
            .arg(dir.join("suricata/smbguard.rules"))
            .arg("-o")
            .arg(&out)
            .args(["--log-level", "WARNING"]),
        "suricata-check",
    );
    let issues = std::fs::read_to_string(out.join("suricata-check.jsonl")).expect("jsonl");
    let mut rules = 0;
    for line in issues.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("jsonl line");
        rules += 1;
        for issue in v["issues"].as_array().into_iter().flatten() {
            let level = issue["severity"].as_str().unwrap_or_default();
            assert!(!matches!(level, "ERROR" | "CRITICAL"), "{issue}");
        }
    }
    assert!(rules >= 10, "{rules} rules checked");
}

fn zeek_checks(dir: &Path) {
    for f in ["__load__.zeek", "main.zeek"] {
        let path = dir.join("zeek/smbguard").join(f);
        let out = run(
            Command::new("zeek-script").arg("parse").arg(&path),
            "zeek-script parse",
        );
        assert!(
            !out.contains("ERROR") && !out.contains("error"),
            "{f}: {out}"
        );
    }
}

#[test]
fn detection_content_passes_the_languages_checkers() {
    if !smbguard_testkit::require_tools(&["sigma", "suricata-check", "zeek-script"]) {
        return;
    }
    for estate in [None, Some(FIXTURE_ESTATE), Some(HOSTILE)] {
        let dir = write(&detection(estate));
        if estate != Some(HOSTILE) {
            sigma_checks(&dir);
        }
        suricata_checks(&dir);
        zeek_checks(&dir);
    }
}

/// Each Suricata rule keeps its one quoted `msg` closed, metadata carries
/// only a token, Zeek strings and Sigma scalars stay quoted.
#[test]
fn hostile_names_stay_inside_their_quotes() {
    for a in detection(Some(HOSTILE)) {
        let t = std::str::from_utf8(&a.contents).expect("utf-8");
        for line in t.lines().filter(|l| !l.starts_with('#')) {
            if a.path.ends_with(".rules") && line.starts_with("alert") {
                let msg = line.split_once("msg:\"").expect("msg").1;
                let end = msg.find("\"; ").expect("msg closes");
                let inner = &msg[..end];
                let unescaped = inner
                    .replace("\\\\", "")
                    .replace("\\\"", "")
                    .replace("\\;", "");
                assert!(!unescaped.contains(['"', ';', '\\']), "{line}");
                let meta = line.split_once("metadata:").expect("metadata").1;
                assert!(
                    meta.split(',').all(|kv| kv.trim().split(' ').count() == 2),
                    "{line}"
                );
            }
            if a.path.ends_with(".zeek") && line.contains("evil") {
                assert!(
                    line.contains("\"evil \\\"q\\\" \\\\ ; ' ) | $x {{ y }} # z\""),
                    "{line}"
                );
            }
        }
        if a.path.ends_with(".yaml") && a.target == Target::Sigma {
            let docs = yaml_rust2::YamlLoader::load_from_str(t).expect("YAML");
            let d = docs.last().expect("a document");
            let title = d["title"].as_str().expect("title");
            assert!(
                title.contains("evil \"q\" \\ ; ' ) | $x {{ y }} # z"),
                "{title}"
            );
        }
    }
}
