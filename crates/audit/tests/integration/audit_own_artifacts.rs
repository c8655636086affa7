//! Acceptance: smbguard's own artefacts audit clean for every group (the
//! GPO's `registry.pol`, a bundle synthesised from it).

use smbguard_audit::{GroupChoice, InputKind, audit_registry_pol};
use smbguard_emit::Target;
use smbguard_model::Strategy;

use crate::audit_support::{artifacts, audit, compliant_bundle, example, show};

#[test]
fn own_gpo_and_bundles_audit_clean_for_every_windows_group() {
    for strategy in [Strategy::IpsecBypass, Strategy::Complement] {
        let (estate, plan) = example(strategy);
        let arts = artifacts(&estate, &plan, &[Target::Gpo]);
        let mut groups = 0;
        for h in plan.hosts.iter().filter(|h| h.windows().is_some()) {
            groups += 1;
            let pol = arts
                .iter()
                .find(|a| {
                    a.group.as_deref() == Some(h.group.as_str())
                        && a.path.ends_with("/registry.pol")
                })
                .expect("registry.pol");
            let a = audit_registry_pol(
                &plan,
                &pol.contents,
                GroupChoice::Infer,
                &pol.path,
                InputKind::GpoBackup,
            )
            .expect("audits");
            assert_eq!(a.group.as_deref(), Some(h.group.as_str()), "{}", pol.path);
            assert!(
                a.findings.is_empty(),
                "{strategy:?} {} (registry.pol):\n{}",
                h.group,
                show(&a.findings)
            );
            assert!(a.classes > 100, "{}", a.classes);
            let b = audit(&plan, &compliant_bundle(&plan, &arts, &h.group));
            assert!(
                b.findings.is_empty(),
                "{strategy:?} {} (bundle):\n{}",
                h.group,
                show(&b.findings)
            );
        }
        assert!(groups >= 4);
    }
}
