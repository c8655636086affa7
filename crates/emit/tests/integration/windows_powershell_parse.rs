//! Every emitted `.ps1` parses with the tree-sitter PowerShell grammar with
//! no ERROR or MISSING node (an independent parser of the language).

use crate::windows_support::{artifacts, example};
use smbguard_emit::Target;
use smbguard_model::Strategy;

/// Every ERROR / MISSING node of the script, with its position and text.
pub(crate) fn syntax_problems(source: &str) -> Vec<String> {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .expect("grammar loads");
    let tree = parser.parse(source, None).expect("parse");
    let mut out = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            let p = node.start_position();
            let text = &source[node.start_byte()..node.end_byte().min(node.start_byte() + 80)];
            out.push(format!(
                "{}:{}: {} {:?}",
                p.row + 1,
                p.column + 1,
                if node.is_missing() {
                    "MISSING"
                } else {
                    "ERROR"
                },
                text
            ));
        }
        let mut cursor = node.walk();
        stack.extend(node.children(&mut cursor));
    }
    out
}

pub(crate) fn script_text(bytes: &[u8]) -> String {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    text.strip_prefix('\u{feff}')
        .expect("a byte order mark for Windows PowerShell 5.1")
        .to_owned()
}

#[test]
fn every_example_script_parses_without_errors() {
    for strategy in [Strategy::IpsecBypass, Strategy::Complement] {
        let (estate, plan) = example(strategy);
        let arts = artifacts(&estate, &plan, &[Target::PowerShell]);
        assert!(!arts.is_empty());
        for a in &arts {
            let problems = syntax_problems(&script_text(&a.contents));
            assert!(
                problems.is_empty(),
                "{} ({strategy:?}):\n{}",
                a.path,
                problems.join("\n")
            );
        }
    }
}

#[test]
fn the_checker_sees_broken_powershell() {
    for broken in [
        "$a = 'unterminated\n",
        "if ($x { }",
        "function f { ",
        "$x = @{ a = }",
    ] {
        assert!(
            !syntax_problems(broken).is_empty(),
            "{broken:?} should not parse"
        );
    }
    assert!(syntax_problems("$a = 'it''s'\n").is_empty());
}
