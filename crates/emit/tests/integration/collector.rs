//! The evidence collector: one script for the estate, which parses with the
//! tree-sitter PowerShell grammar, opens the registry read-only, writes
//! nothing but its bundle, and carries the estate's SMB expectations.

use crate::windows_powershell_parse::{script_text, syntax_problems};
use crate::windows_support::{artifacts, example};
use smbguard_emit::Target;
use smbguard_model::{Estate, Strategy, parse_estate};
use smbguard_semantics::compile;

fn collector(estate: &Estate) -> String {
    let plan = compile(estate).expect("compiles");
    let arts = artifacts(estate, &plan, &[Target::Collector]);
    assert_eq!(arts.len(), 1, "one collector for the estate");
    assert_eq!(arts[0].path, "collector/smbguard-collector.ps1");
    assert!(arts[0].group.is_none());
    script_text(&arts[0].contents)
}

#[test]
fn the_collector_parses_without_errors() {
    let (estate, _) = example(Strategy::IpsecBypass);
    let text = collector(&estate);
    let problems = syntax_problems(&text);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(text.contains("$Estate = 'contoso'"), "{text}");
    assert!(text.contains("$RemoveSmb1 = $true"));
    assert!(text.contains("smbguard-evidence/1"));
}

#[test]
fn the_collector_only_reads() {
    let (estate, _) = example(Strategy::IpsecBypass);
    let text = collector(&estate);
    // Every registry key is opened read-only; no cmdlet that changes state.
    let opens: Vec<&str> = text.split("OpenSubKey(").skip(1).collect();
    assert!(opens.len() >= 4);
    for call in &opens {
        let args = call.split(')').next().unwrap_or("");
        assert!(
            args.ends_with(", $false"),
            "OpenSubKey({args}) is not read-only"
        );
    }
    for verb in [
        "Set-ItemProperty",
        "Set-Net",
        "Set-Smb",
        "New-Item",
        "Remove-Item",
        "Disable-",
        "Enable-",
        "CreateSubKey",
        "SetValue",
        "DeleteValue",
        "DeleteSubKey",
        "Invoke-Expression",
        "Import-Module",
    ] {
        assert!(!text.contains(verb), "the collector contains `{verb}`");
    }
}

#[test]
fn a_hostile_estate_name_stays_a_literal() {
    let src = smbguard_model::EXAMPLE_ESTATE.replace(
        "name = \"contoso\"",
        "name = \"x'; Remove-Item C:\\\\ -Recurse; '\"",
    );
    let estate = parse_estate(&src).expect("parses").estate;
    let text = collector(&estate);
    assert!(syntax_problems(&text).is_empty());
    assert!(text.contains("$Estate = 'x''; Remove-Item"), "{text}");
}
