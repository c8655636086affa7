//! The bundled example estate verifies clean.

use crate::common::*;
use smbguard_verify::{Options, Status, verify, verify_with};

#[test]
fn example_verifies_clean() {
    let (estate, plan) = example();
    let r = verify(&plan, &estate);
    assert!(r.passed, "{}", describe(&r));
    let ids: Vec<&str> = r.invariants.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["I1", "I2", "I3", "I4", "I5", "I6", "I7"]);
    for i in &r.invariants {
        assert_eq!(i.status, Status::Pass);
        eprintln!("{} {}", i.id, i.summary);
        for e in &i.proof {
            eprintln!("    {}", e.text);
        }
        for n in &i.notes {
            eprintln!("    note: {n}");
        }
    }
    for l in &r.lints {
        eprintln!(
            "lint {} {:?} {:?}: {}",
            l.code, l.group, l.rule_name, l.message
        );
    }
    let m = verify_with(
        &plan,
        &estate,
        &Options {
            matrix: true,
            ..Options::default()
        },
    )
    .matrix
    .unwrap();
    assert_eq!(m.tables.len(), 12);
}
