//! Issue 13 point 7: the `--allow-unsafe` reason is in every artefact,
//! registry.pol (a comment value) and Backup.xml included. Before the fix
//! both carried no trace of it (Backup.xml has no header; registry.pol is
//! binary with no comment syntax).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use smbguard_emit::{EmitContext, Target, emit};
use smbguard_formats::registry_pol::{RegData, read_registry_pol};
use smbguard_model::{EXAMPLE_ESTATE, parse_estate};
use smbguard_semantics::compile;

const REASON: &str = "change 4711 -- approved by the CAB";

#[test]
fn unsafe_reason_is_in_every_artefact_including_registry_pol_and_backup_xml() {
    let estate = parse_estate(EXAMPLE_ESTATE).unwrap().estate;
    let plan = compile(&estate).unwrap();
    let cx = EmitContext {
        estate: &estate,
        plan: &plan,
        version: "0.0.0-test",
        unsafe_reason: Some(REASON),
    };
    let all = emit(&cx, &[Target::Gpo]).unwrap();
    let mut pols = 0;
    let mut backups = 0;
    for a in &all {
        if a.path.ends_with("registry.pol") {
            pols += 1;
            let entries = read_registry_pol(&a.contents).unwrap();
            assert!(
                entries.iter().any(|e| e.value == "AllowUnsafeReason"
                    && e.data == RegData::String(REASON.to_string())),
                "{}",
                a.path
            );
        } else if a.path.ends_with("Backup.xml") {
            backups += 1;
            let text = String::from_utf8(a.contents.clone()).unwrap();
            let comment = text
                .lines()
                .find(|l| l.starts_with("<!-- "))
                .expect("a header comment");
            assert!(
                comment.starts_with("<!-- ") && comment.ends_with(" -->"),
                "{comment}"
            );
            assert!(
                comment.contains("UNSAFE: change 4711 - - approved"),
                "{comment}"
            );
            assert!(!comment[4..comment.len() - 3].contains("--"), "{comment}");
        }
    }
    assert!(pols > 0 && pols == backups, "{pols} {backups}");
}
