//! Independent readers agree: every emitted `registry.pol` is decoded by
//! Samba's PIDL-generated NDR parser (`samba.dcerpc.preg`, package
//! python3-samba) to exactly the entries smbguard's reader sees.
//!
//! Without the module: a loud SKIPPED on stderr, or a failure when
//! `SMBGUARD_REQUIRE_TOOLS=1`.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use crate::windows_support::{artifacts, example};
use smbguard_emit::Target;
use smbguard_formats::registry_pol::read_registry_pol;
use smbguard_model::Strategy;
use smbguard_testkit::preg;

#[test]
fn samba_reads_every_emitted_registry_pol_like_smbguard() {
    if !preg::available() {
        return;
    }
    let mut checked = 0;
    for strategy in [Strategy::IpsecBypass, Strategy::Complement] {
        let (estate, plan) = example(strategy);
        for a in artifacts(&estate, &plan, &[Target::Gpo])
            .iter()
            .filter(|a| a.path.ends_with("/registry.pol"))
        {
            let samba =
                preg::dump(&a.contents).unwrap_or_else(|e| panic!("{}: samba failed: {e}", a.path));
            let ours: Vec<String> = read_registry_pol(&a.contents)
                .expect("ours reads")
                .iter()
                .map(preg::view)
                .collect();
            assert!(ours.len() > 20, "{}", a.path);
            assert_eq!(samba, ours, "{} ({strategy:?})", a.path);
            checked += 1;
        }
    }
    assert!(checked >= 12, "{checked}");
}
