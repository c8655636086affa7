//! Azure service tags: resolution from the fixture file, provenance in every
//! header and index.json, each error located (exit 2), and `diff-tags`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn smbguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smbguard"))
        .args(args)
        .output()
        .expect("smbguard runs")
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/service-tags")
        .join(name)
        .display()
        .to_string()
}

/// A temporary folder holding `estate.toml` with `body` and a copy of the
/// fixture tag file beside it.
fn setup(name: &str, body: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("smbguard-tags-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("dir");
    std::fs::copy(
        fixture("ServiceTags_Public_test.json"),
        d.join("ServiceTags_Public_test.json"),
    )
    .expect("copy");
    std::fs::write(d.join("estate.toml"), body).expect("write");
    d
}

fn estate(file_key: &str, tags: &str) -> String {
    format!(
        "[estate]\nname = \"tags\"\ninternal = [\"10.0.0.0/8\", \"fd00::/8\"]\nstrategy = \"complement\"\n{file_key}\n\
         [[groups]]\nname = \"dc\"\nrole = \"domain-controller\"\naddresses = [\"10.0.0.10\"]\n\
         [[perimeter.allow]]\nname = \"azure-files\"\nservice-tags = [{tags}]\ndirection = \"outbound\"\ntransports = [\"tcp/445\"]\n"
    )
}

const FILE_KEY: &str = "service-tags-file = \"ServiceTags_Public_test.json\"";

#[test]
fn tags_resolve_and_provenance_is_in_every_header_and_the_index() {
    let d = setup(
        "ok",
        &estate(FILE_KEY, "\"Storage.WestEurope\", \"storage.northeurope\""),
    );
    let out = d.join("out");
    let o = smbguard(&[
        "emit",
        d.join("estate.toml").to_str().expect("utf-8"),
        "--target",
        "azure-nsg,intune,cisco-ios",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let nsg = std::fs::read_to_string(out.join("azure-nsg/perimeter.nsg.json")).expect("nsg");
    // IPv4 and IPv6 prefixes of both tags reach the artefact.
    for prefix in [
        "203.0.113.0/27",
        "203.0.113.32/28",
        "203.0.113.64/27",
        "3fff:10:1::/56",
        "3fff:20:1::/56",
    ] {
        assert!(nsg.contains(prefix), "{prefix} missing");
    }
    let mut checked = 0;
    for entry in walk(&out) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        if entry.ends_with("index.json") || entry.extension().is_some_and(|e| e == "ps1") {
            continue;
        }
        assert!(text.contains("changeNumber 412"), "{}", entry.display());
        assert!(
            text.contains("Storage.WestEurope (changeNumber 57)"),
            "{}",
            entry.display()
        );
        checked += 1;
    }
    assert!(checked >= 4);
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("index.json")).expect("index"))
            .expect("json");
    assert_eq!(index["service_tags"]["change_number"], 412);
    assert_eq!(
        index["service_tags"]["tags"][1]["name"],
        "Storage.WestEurope"
    );
    assert_eq!(index["service_tags"]["tags"][1]["change_number"], 57);
    let _ = std::fs::remove_dir_all(&d);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Runs `plan` and returns stderr, asserting exit 2.
fn bad(name: &str, body: &str, extra: &[&str]) -> String {
    let d = setup(name, body);
    let path = d.join("estate.toml");
    let mut args = vec!["plan", path.to_str().expect("utf-8")];
    args.extend_from_slice(extra);
    let o = smbguard(&args);
    let _ = std::fs::remove_dir_all(&d);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn unknown_tag_is_located_at_the_tag() {
    let err = bad(
        "unknown",
        &estate(FILE_KEY, "\"Storage.WestEurope\", \"Storage.Atlantis\""),
        &[],
    );
    assert!(err.contains("error[unknown-service-tag]"), "{err}");
    // Line 12 is `service-tags = [...]`; the second tag starts at column 39.
    assert!(err.contains("estate.toml:12:39:"), "{err}");
}

#[test]
fn tag_without_prefixes_is_located_at_the_tag() {
    let err = bad("empty", &estate(FILE_KEY, "\"Storage.SwedenSouth\""), &[]);
    assert!(
        err.contains("error[empty-service-tag]") && err.contains("estate.toml:12:17:"),
        "{err}"
    );
}

#[test]
fn missing_file_is_located_at_the_key() {
    let err = bad(
        "missing",
        &estate("service-tags-file = \"nope.json\"", "\"Storage\""),
        &[],
    );
    assert!(
        err.contains("error[service-tags-file]") && err.contains("estate.toml:5:21:"),
        "{err}"
    );
    assert!(err.contains("nope.json"), "{err}");
}

#[test]
fn no_file_at_all_is_located_at_the_tag() {
    let err = bad("nofile", &estate("", "\"Storage\""), &[]);
    assert!(
        err.contains("error[service-tags-file]") && err.contains("--service-tags"),
        "{err}"
    );
    assert!(err.contains("estate.toml:12:17:"), "{err}");
}

#[test]
fn malformed_file_is_an_error() {
    let d = std::env::temp_dir().join(format!("smbguard-tags-bad-{}.json", std::process::id()));
    std::fs::write(&d, "{\"changeNumber\": \"x\"}").expect("write");
    let err = bad(
        "malformed",
        &estate(FILE_KEY, "\"Storage\""),
        &["--service-tags", d.to_str().expect("utf-8")],
    );
    let _ = std::fs::remove_file(&d);
    assert!(
        err.contains("error[service-tags-file]") && err.contains("not a service tag file"),
        "{err}"
    );
}

#[test]
fn command_line_file_overrides_the_estate_key() {
    let d = setup(
        "cli",
        &estate("service-tags-file = \"nope.json\"", "\"Storage\""),
    );
    let o = smbguard(&[
        "plan",
        d.join("estate.toml").to_str().expect("utf-8"),
        "--service-tags",
        &fixture("ServiceTags_Public_test.json"),
    ]);
    let _ = std::fs::remove_dir_all(&d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn diff_tags_shows_additions_and_removals_per_exception_and_per_tag() {
    let d = setup("diff", &estate(FILE_KEY, "\"Storage.WestEurope\""));
    let (old, new) = (
        fixture("ServiceTags_Public_test.json"),
        fixture("ServiceTags_Public_test_next.json"),
    );
    let o = smbguard(&[
        "diff-tags",
        &old,
        &new,
        d.join("estate.toml").to_str().expect("utf-8"),
    ]);
    let _ = std::fs::remove_dir_all(&d);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    assert!(
        text.contains(
            "exception azure-files:\n  + 203.0.113.48/28\n  + 3fff:10:2::/56\n  - 203.0.113.32/28\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("(changeNumber 412) ->") && text.contains("(changeNumber 413)"),
        "{text}"
    );
    let o = smbguard(&["diff-tags", &old, &new]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("tag Storage.WestEurope (changeNumber 57 -> 58):"),
        "{text}"
    );
    assert!(text.contains("1 tag(s) changed"), "{text}");
}
