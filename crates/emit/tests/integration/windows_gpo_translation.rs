//! Translation validation of the GPO target: every emitted `registry.pol`,
//! read back by smbguard's own reader (smbguard-formats) and lowered to the
//! IR (smbguard-audit), gives the plan's verdict on every equivalence class
//! of flows (`compare_windows`), for the example estate under both
//! strategies and for random estates.

use crate::windows_support::{artifacts, example, windows_policy_mut};
use proptest::prelude::*;
use smbguard_audit::{GpoSmbSettings, read_gpo_smb, read_registry_pol_policy};
use smbguard_emit::{EmitContext, Target};
use smbguard_model::{AddrSet, Estate, Strategy, parse_estate};
use smbguard_semantics::{Plan, compare_windows, compile};

/// Emits the GPO target and checks every Windows group; returns the number
/// of equivalence classes compared.
fn validate(estate: &Estate, plan: &Plan) -> usize {
    let arts = artifacts(estate, plan, &[Target::Gpo]);
    let mut classes = 0;
    let mut groups = 0;
    for host in &plan.hosts {
        let Some(expected) = host.windows() else {
            continue;
        };
        groups += 1;
        let pol = arts
            .iter()
            .find(|a| {
                a.group.as_deref() == Some(host.group.as_str()) && a.path.ends_with("/registry.pol")
            })
            .unwrap_or_else(|| panic!("no registry.pol for {}", host.group));
        let lowered =
            read_registry_pol_policy(&pol.contents, &pol.path).expect("our own file reads");
        match compare_windows(expected, &lowered.policy) {
            Ok(agreement) => classes += agreement.classes,
            Err(diff) => panic!(
                "group {}: the GPO differs from the plan on {:?}\nplan:     {:?}\ndeployed: {:?}\nfindings: {:?}",
                host.group, diff.flow, diff.expected, diff.actual, lowered.findings
            ),
        }
        assert_eq!(
            lowered.policy.connection_security.len(),
            expected.connection_security.len()
        );
        // The quick-mode crypto set (MS-GPFAS Phase2CryptoSets) reads back
        // as the plan's: null encapsulation first where the plan asks for it.
        for (want, got) in expected
            .connection_security
            .iter()
            .zip(&lowered.policy.connection_security)
        {
            assert_eq!(
                want.null_encapsulation, got.null_encapsulation,
                "group {}: quick-mode set of {}",
                host.group, want.id
            );
        }
        // Profile settings that change what rules do (shielded mode, local
        // merge) read back as the plan's.
        for profile in smbguard_model::Profile::ALL {
            assert_eq!(
                expected.defaults(profile),
                lowered.policy.defaults(profile),
                "group {}",
                host.group
            );
        }
        let mut want: Vec<&str> = expected.disabled_builtins.clone();
        let mut got: Vec<&str> = lowered.policy.disabled_builtins.clone();
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(want, got, "group {}", host.group);
        smb_means_the_plan(&plan.smb, &pol.contents, &host.group);
    }
    assert!(groups > 0);
    classes
}

/// The SMB settings of the `registry.pol`, read back from the registry
/// values Windows documents (smbguard-audit's reader, not the emitter's
/// table), are the plan's: K2, K9 and the 24H2 / Server 2025 hardening.
fn smb_means_the_plan(smb: &smbguard_model::SmbSettings, pol: &[u8], group: &str) {
    let entries = smbguard_formats::registry_pol::read_registry_pol(pol).expect("reads");
    let got = read_gpo_smb(&entries);
    let h = &smb.hardening;
    let want = GpoSmbSettings {
        smb1_server_off: !smb.smb1,
        smb1_client_off: !smb.smb1,
        signing_required: smb.signing,
        encryption: smb.encryption,
        min_dialect: Some(smb.min_dialect),
        block_ntlm: h.block_ntlm,
        ntlm_exceptions: if h.block_ntlm {
            h.ntlm_exceptions.clone()
        } else {
            Vec::new()
        },
        remote_mailslots_off: !h.remote_mailslots,
        audit: h.audit,
    };
    assert_eq!(want, got, "group {group}: SMB settings");
}

#[test]
fn example_estate_ipsec_bypass_gpo_means_the_plan() {
    let (estate, plan) = example(Strategy::IpsecBypass);
    let classes = validate(&estate, &plan);
    assert!(classes > 1000, "{classes}");
}

#[test]
fn example_estate_complement_gpo_means_the_plan() {
    let (estate, plan) = example(Strategy::Complement);
    validate(&estate, &plan);
}

/// A remote list too long for one registry value is split over several
/// rules; the split keeps every verdict (and every value fits).
#[test]
fn long_complement_lists_are_split_and_keep_their_meaning() {
    let (estate, mut plan) = example(Strategy::Complement);
    let w = windows_policy_mut(&mut plan, "workstations");
    // 500 scattered IPv6 addresses with no zero group: their complement is
    // 501 `a-b` ranges of ~76 characters, over 32,767 in one rule string.
    // Only that rule is kept, so the comparison stays quick.
    let mut scattered = AddrSet::empty();
    for i in 0..500u128 {
        let a = 0x2001_0db8_1111_2222_3333_4444_5555_0005_u128 + (i << 20);
        scattered = scattered.union(&AddrSet::single(std::net::IpAddr::V6(a.into())));
    }
    let mut block = w
        .rules
        .iter()
        .find(|r| r.id.ends_with("out-block-trusted-tcp445"))
        .expect("block rule")
        .clone();
    block.remote_addresses = scattered.complement();
    w.rules = vec![block];
    let arts = artifacts(&estate, &plan, &[Target::Gpo]);
    let pol = arts
        .iter()
        .find(|a| a.group.as_deref() == Some("workstations") && a.path.ends_with("/registry.pol"))
        .expect("pol");
    let entries = smbguard_formats::registry_pol::read_registry_pol(&pol.contents).expect("reads");
    let parts: Vec<_> = entries
        .iter()
        .filter(|e| e.value.contains("out-block-trusted-tcp445"))
        .collect();
    assert!(parts.len() > 1, "split into {} rule(s)", parts.len());
    for e in &parts {
        let text = e.data.as_str().expect("REG_SZ");
        assert!(
            text.encode_utf16().count() < 32_767,
            "{} is {} units",
            e.value,
            text.len()
        );
    }
    validate(&estate, &plan);
}

/// Random operator-shaped estate files from the workspace's one generator.
fn estate_toml() -> impl proptest::strategy::Strategy<Value = String> {
    proptest::strategy::Strategy::prop_map(any::<u64>(), smbguard_testkit::estates::toml_from_seed)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_estates_gpo_means_the_plan(toml in estate_toml()) {
        let parsed = parse_estate(&toml);
        prop_assume!(parsed.is_ok());
        let estate = parsed.expect("checked").estate;
        // Only estates with a Windows group have a GPO to read back.
        prop_assume!(estate.groups.iter().any(|g| g.platform == smbguard_model::Platform::Windows));
        let plan = compile(&estate);
        prop_assume!(plan.is_ok());
        let plan = plan.expect("checked");
        let cx = EmitContext { estate: &estate, plan: &plan, version: "t", unsafe_reason: None };
        prop_assert!(smbguard_emit::emit(&cx, &[Target::Gpo]).is_ok());
        validate(&estate, &plan);
    }
}
