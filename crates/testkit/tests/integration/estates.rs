//! The generator's own guarantees: operator-shaped estates render to files
//! the parser reads back as the same estate, and most of them are accepted
//! (a generator whose estates are all refused would test nothing).

use smbguard_model::parse_estate;
use smbguard_testkit::estates::{Knobs, Rng, estate, to_toml};

#[test]
fn parseable_estates_mostly_parse_and_round_trip() {
    let mut accepted = 0;
    let mut errors = std::collections::BTreeMap::<String, usize>::new();
    for seed in 0..200 {
        let e = estate(&mut Rng::new(seed), &Knobs::parseable());
        let text = to_toml(&e);
        match parse_estate(&text) {
            Ok(p) => {
                accepted += 1;
                let back = p.estate;
                assert_eq!(back.groups.len(), e.groups.len(), "{text}");
                for (a, b) in back.groups.iter().zip(&e.groups) {
                    assert_eq!(a.addresses, b.addresses, "{text}");
                    assert_eq!(a.clients, b.clients, "{text}");
                    assert_eq!(a.role, b.role, "{text}");
                }
                assert_eq!(back.internal, e.internal);
                assert_eq!(back.perimeter_allow.len(), e.perimeter_allow.len());
                assert_eq!(back.management.len(), e.management.len());
                assert_eq!(back.invariants.len(), e.invariants.len());
            }
            Err(r) => {
                for d in &r.diagnostics {
                    *errors
                        .entry(format!("{:?} {}", d.code, d.message))
                        .or_default() += 1;
                }
            }
        }
    }
    assert!(accepted >= 120, "only {accepted}/200 parse: {errors:?}");
}
