//! Property: for estates whose group names are hostile (path separators,
//! reserved device names, case twins, trailing dots, Unicode), emitting every
//! target either refuses with a naming error (the CLI's exit 2) or writes a
//! set of distinct paths, all inside the output folder, each listed once in
//! index.json.

use std::collections::BTreeSet;
use std::path::{Component, Path};

use proptest::prelude::*;
use smbguard_emit::{EmitContext, EmitError, Target, emit, index_json, write_artifacts};
use smbguard_model::{EXAMPLE_ESTATE, parse_estate};
use smbguard_semantics::compile;

fn hostile_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("perimeter".to_string()),
        Just("CON".to_string()),
        Just("a/b".to_string()),
        Just("a:b".to_string()),
        Just("a-b-1".to_string()),
        Just("Members".to_string()),
        Just("x.".to_string()),
        Just("../..".to_string()),
        Just("index.json".to_string()),
        "[a-zA-Z0-9 ./:\\\\<>|?*-]{1,12}",
        "\\PC{1,8}",
    ]
}

fn written(out: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![out.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let t = e.file_type().expect("type");
            assert!(!t.is_symlink());
            if t.is_dir() {
                stack.push(e.path());
            } else {
                let rel = e
                    .path()
                    .strip_prefix(out)
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned();
                found.insert(rel);
            }
        }
    }
    found
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn hostile_names_are_refused_or_written_distinctly(
        names in proptest::collection::vec(hostile_name(), 3),
    ) {
        let mut text = EXAMPLE_ESTATE.to_string();
        for (from, to) in ["nas", "kiosks", "members"].iter().zip(&names) {
            let quoted = serde_json::to_string(to).expect("json string");
            text = text.replace(&format!("\"{from}\""), &quoted);
        }
        let Ok(parsed) = parse_estate(&text) else { return Ok(()) };
        let Ok(plan) = compile(&parsed.estate) else { return Ok(()) };
        let cx = EmitContext { estate: &parsed.estate, plan: &plan, version: "test", unsafe_reason: None };
        let artifacts = match emit(&cx, &Target::ALL) {
            Err(EmitError::UnsafePath { .. } | EmitError::UnsafeString { .. }) => return Ok(()),
            Err(e) => panic!("unexpected error {e}"),
            Ok(a) => a,
        };
        let out = std::env::temp_dir().join(format!("smbguard-hostile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let index = index_json(&cx, &artifacts);
        write_artifacts(&out, &artifacts, &index).expect("written");
        let listed: Vec<String> = artifacts.iter().map(|a| a.path.clone()).collect();
        let folded: BTreeSet<String> = listed.iter().map(|p| p.to_lowercase()).collect();
        prop_assert_eq!(folded.len(), listed.len(), "distinct ignoring case");
        for p in &listed {
            prop_assert!(Path::new(p).components().all(|c| matches!(c, Component::Normal(_))));
        }
        let doc: serde_json::Value = serde_json::from_str(&index).expect("json");
        let in_index: Vec<String> = doc["artifacts"].as_array().expect("list").iter()
            .map(|a| a["path"].as_str().expect("path").to_string()).collect();
        prop_assert_eq!(&in_index, &listed);
        let mut expected: BTreeSet<String> = listed.into_iter().collect();
        expected.insert("index.json".into());
        prop_assert_eq!(written(&out), expected);
        let _ = std::fs::remove_dir_all(&out);
    }
}
