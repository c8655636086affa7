//! Injection: group names, rule names, descriptions and SIDs with quotes,
//! backticks, `$()`, `|`, `;`, newlines and non-ASCII cannot break out of
//! their string in PowerShell, netsh or MS-GPFAS. Values are put straight into
//! `Estate`/`Plan` values, past the estate parser's checks, so that the
//! emitters themselves are shown to be safe. One test per case and target.

use crate::windows_support::{example, host_index, windows_policy_mut};
use smbguard_audit::read_registry_pol_policy;
use smbguard_emit::{Artifact, EmitContext, EmitError, Target, emit};
use smbguard_formats::registry_pol::read_registry_pol;
use smbguard_model::{Estate, Strategy};
use smbguard_semantics::{Plan, WindowsRule, compare_windows};

const GROUP: &str = "workstations";

/// The management bypass rule of `group` (the example gives `workstations` one).
fn bypass_rule_mut<'a>(plan: &'a mut Plan, group: &str) -> &'a mut WindowsRule {
    windows_policy_mut(plan, group)
        .rules
        .iter_mut()
        .find(|r| r.id.contains("in-allow-mgmt"))
        .expect("bypass rule")
}

/// The example with a hostile value as estate name, group name, and display
/// name and description of the management bypass rule of `workstations`.
fn hostile(value: &str) -> (Estate, Plan) {
    let (mut estate, mut plan) = example(Strategy::IpsecBypass);
    let k = host_index(&plan, GROUP);
    estate.name = value.to_owned();
    estate.groups[k].name = value.to_owned();
    plan.hosts[k].group = value.to_owned();
    let r = bypass_rule_mut(&mut plan, value);
    r.name = value.to_owned();
    r.description = value.to_owned();
    (estate, plan)
}

fn run(estate: &Estate, plan: &Plan, t: Target) -> Result<Vec<Artifact>, EmitError> {
    emit(
        &EmitContext {
            estate,
            plan,
            version: "t",
            unsafe_reason: None,
        },
        &[t],
    )
}

fn group_file<'a>(arts: &'a [Artifact], value: &str, suffix: &str) -> &'a Artifact {
    arts.iter()
        .find(|a| a.group.as_deref() == Some(value) && a.path.ends_with(suffix))
        .expect("artefact of the hostile group")
}

// ---- PowerShell -----------------------------------------------------------

fn ps_tree(src: &str) -> tree_sitter::Tree {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .expect("grammar");
    parser.parse(src, None).expect("parse")
}

/// Top-level statement count, and the decoded values of every
/// single-quoted literal, when the script parses without error.
fn ps_shape(src: &str) -> (usize, Vec<String>) {
    let tree = ps_tree(src);
    let mut literals = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        assert!(
            !n.is_error() && !n.is_missing(),
            "syntax error at {:?}",
            n.start_position()
        );
        if n.kind() == "string_literal" {
            let text = &src[n.start_byte()..n.end_byte()];
            if let Some(body) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
                let mut out = String::new();
                let mut chars = body.chars().peekable();
                while let Some(c) = chars.next() {
                    let quote = |c: char| {
                        matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}')
                    };
                    if quote(c) && chars.peek().is_some_and(|n| quote(*n)) {
                        chars.next();
                    }
                    out.push(c);
                }
                literals.push(out);
            }
        }
        let mut c = n.walk();
        stack.extend(n.children(&mut c));
    }
    (tree.root_node().named_child_count(), literals)
}

fn ps_case(value: &str, decodable: bool) {
    let (estate, plan) = example(Strategy::IpsecBypass);
    let base = run(&estate, &plan, Target::PowerShell).expect("baseline");
    let base_src = std::str::from_utf8(&group_file(&base, GROUP, ".ps1").contents)
        .expect("utf8")
        .trim_start_matches('\u{feff}')
        .to_owned();
    let (estate, plan) = hostile(value);
    let arts = run(&estate, &plan, Target::PowerShell).expect("PowerShell can quote anything");
    let a = group_file(&arts, value, ".ps1");
    assert!(
        !a.path.contains('/') && !a.path.contains('\\') && a.path.is_ascii(),
        "{}",
        a.path
    );
    let src = std::str::from_utf8(&a.contents)
        .expect("utf8")
        .trim_start_matches('\u{feff}')
        .to_owned();
    let (statements, literals) = ps_shape(&src);
    assert_eq!(
        statements,
        ps_shape(&base_src).0,
        "the value added or removed statements"
    );
    if decodable {
        let hits = literals.iter().filter(|l| l.as_str() == value).count();
        // $Estate, $GroupName, DisplayName, Description.
        assert!(hits >= 4, "{hits} literal(s) decode to the value");
    }
}

// ---- netsh ----------------------------------------------------------------

fn netsh_rejects(value: &str) {
    let (estate, plan) = hostile(value);
    match run(&estate, &plan, Target::Netsh) {
        Err(EmitError::UnsafeString {
            target: Target::Netsh,
            what,
            ..
        }) => assert!(what.contains("rule name"), "{what}"),
        other => panic!("expected an UnsafeString error, got {other:?}"),
    }
}

fn netsh_accepts(value: &str) {
    let (estate, plan) = hostile(value);
    let arts = run(&estate, &plan, Target::Netsh).expect("safe inside double quotes");
    let text = std::str::from_utf8(&group_file(&arts, value, ".cmd").contents)
        .expect("ascii")
        .to_owned();
    for line in text.lines() {
        if let Some(rem) = line.strip_prefix("REM ") {
            assert!(!rem.contains(['%', '^', '&', '|', '<', '>', '"']), "{line}");
        } else if line.contains(value) {
            // Inside one pair of double quotes, nothing else.
            assert_eq!(line.matches('"').count() % 2, 0, "{line}");
            assert!(line.contains(&format!("name=\"{value} [")), "{line}");
        }
    }
}

// ---- MS-GPFAS (GPO) -------------------------------------------------------

fn gpo_rejects_pipe(value: &str) {
    let (estate, plan) = hostile(value);
    match run(&estate, &plan, Target::Gpo) {
        Err(EmitError::UnsafeString {
            target: Target::Gpo,
            what,
            why,
            ..
        }) => {
            assert!(what.contains("of rule"), "{what}");
            assert!(why.contains('|'), "{why}");
        }
        other => panic!("expected an UnsafeString error, got {other:?}"),
    }
}

fn gpo_round_trips(value: &str) {
    let (estate, plan) = hostile(value);
    let arts = run(&estate, &plan, Target::Gpo).expect("GPFAS can carry it");
    let pol = group_file(&arts, value, "/registry.pol");
    let entries = read_registry_pol(&pol.contents).expect("reads");
    let bypass = entries
        .iter()
        .find(|e| e.value.contains("in-allow-mgmt"))
        .expect("bypass value");
    let text = bypass.data.as_str().expect("REG_SZ");
    let (record, warnings) =
        smbguard_formats::gpfas::FirewallRuleRecord::parse(text).expect("parses");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(record.name.as_deref(), Some(value));
    assert_eq!(record.description.as_deref(), Some(value));
    assert!(
        record.remote_machine_auth.is_some() && record.security.is_some(),
        "fields after the value survive"
    );
    let k = host_index(&plan, value);
    let lowered = read_registry_pol_policy(&pol.contents, &pol.path).expect("lowers");
    compare_windows(plan.hosts[k].windows().expect("windows"), &lowered.policy)
        .expect("same meaning");
    for a in arts.iter().filter(|a| a.path.ends_with(".xml")) {
        let xml = std::str::from_utf8(&a.contents).expect("utf8");
        assert_eq!(
            xml.matches("<![CDATA[").count(),
            xml.matches("]]>").count(),
            "{}",
            a.path
        );
    }
}

macro_rules! cases {
    ($($name:ident: $value:expr, netsh_ok = $ok:expr, gpo_ok = $gok:expr, ps_decodable = $dec:expr;)*) => {
        mod powershell { $(#[test] fn $name() { super::ps_case($value, $dec); })* }
        mod netsh { $(#[test] fn $name() { if $ok { super::netsh_accepts($value) } else { super::netsh_rejects($value) } })* }
        mod gpo { $(#[test] fn $name() { if $gok { super::gpo_round_trips($value) } else { super::gpo_rejects_pipe($value) } })* }
    };
}

cases! {
    single_quote: "it's ' ''; Remove-Item C:\\ '", netsh_ok = true, gpo_ok = true, ps_decodable = true;
    left_single_quotation_mark: "a\u{2018}; calc; \u{2018}b", netsh_ok = false, gpo_ok = true, ps_decodable = true;
    right_single_quotation_mark: "a\u{2019}; calc; \u{2019}b", netsh_ok = false, gpo_ok = true, ps_decodable = true;
    low_9_quotation_mark: "a\u{201A}; calc; \u{201A}b", netsh_ok = false, gpo_ok = true, ps_decodable = true;
    reversed_9_quotation_mark: "a\u{201B}; calc; \u{201B}b", netsh_ok = false, gpo_ok = true, ps_decodable = true;
    double_quote: "say \"hi\" & calc", netsh_ok = false, gpo_ok = true, ps_decodable = true;
    backtick: "tick `n `$x ` end", netsh_ok = true, gpo_ok = true, ps_decodable = true;
    subexpression: "$(Start-Process calc) ${env:PATH} @(1)", netsh_ok = true, gpo_ok = true, ps_decodable = true;
    pipe: "a | Out-File x", netsh_ok = false, gpo_ok = false, ps_decodable = true;
    semicolon: "a; calc; b", netsh_ok = true, gpo_ok = true, ps_decodable = true;
    newline: "line one\nRemove-Item C:\\ -Recurse\r\n# x", netsh_ok = false, gpo_ok = true, ps_decodable = true;
    non_ascii: "Überwachung — 監視 ✓", netsh_ok = false, gpo_ok = true, ps_decodable = true;
    percent: "100%PATH%", netsh_ok = false, gpo_ok = true, ps_decodable = true;
    caret: "a^&calc", netsh_ok = false, gpo_ok = true, ps_decodable = true;
    ampersand: "a & calc", netsh_ok = false, gpo_ok = true, ps_decodable = true;
    less_than: "a < in", netsh_ok = false, gpo_ok = true, ps_decodable = true;
    greater_than: "a > out", netsh_ok = false, gpo_ok = true, ps_decodable = true;
}

/// A control character other than a line break: PowerShell writes it as a
/// `[char]` code, netsh and MS-GPFAS refuse it (it would cut the value).
#[test]
fn nul_character_is_encoded_or_refused() {
    ps_case("a\u{0}b", false);
    netsh_rejects("a\u{0}b");
    let (estate, plan) = hostile("a\u{0}b");
    assert!(matches!(
        run(&estate, &plan, Target::Gpo),
        Err(EmitError::UnsafeString { .. })
    ));
}

/// A SID that would close the ACE and add its own (`(A;;GA;;;WD)`, full
/// access for Everyone) is refused by every target.
#[test]
fn sids_cannot_break_out_of_sddl() {
    for bad in [
        "S-1-5-21-1)(A;;GA;;;WD",
        "S-1-5-21-1'; calc; '",
        "S-1-5-21-1|Action=Allow",
        "S-1-5-21-1\"&calc",
    ] {
        let (estate, mut plan) = example(Strategy::IpsecBypass);
        bypass_rule_mut(&mut plan, GROUP).remote_machines = vec![bad.to_owned()];
        for t in [Target::PowerShell, Target::Netsh, Target::Gpo] {
            match run(&estate, &plan, t) {
                Err(EmitError::UnsafeString { what, .. }) => {
                    assert!(what.contains("SID"), "{t}: {what}")
                }
                other => panic!("{t}: {bad:?} accepted: {other:?}"),
            }
        }
    }
}

/// `|` in the estate name reaches every rule's group (EmbedCtxt): refused,
/// naming the field.
#[test]
fn pipe_in_estate_name_is_refused_by_gpfas() {
    let (mut estate, plan) = example(Strategy::IpsecBypass);
    estate.name = "contoso|Action=Allow".into();
    match run(&estate, &plan, Target::Gpo) {
        Err(EmitError::UnsafeString { what, .. }) => {
            assert!(what.contains("group of rule"), "{what}")
        }
        other => panic!("{other:?}"),
    }
}
