//! Every example in docs/policy.md is a test (issue 13): the tables are read
//! from the markdown itself, so the documentation cannot drift from what
//! the parser, the compiler and `verify` do with it.
//!
//! - An `example` cell's `key = value` is written into the bundled example
//!   estate (the group or table a key is meant for is named below); the
//!   estate must load without errors, compile and pass every built-in
//!   invariant and the `[[invariants]]` example.
//! - A `default` cell of `[smb]` must be the default: writing `key = value`
//!   gives the same estate as leaving the key out.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use smbguard_model::{EXAMPLE_ESTATE, Estate, Parsed, parse_estate_with_service_tags};
use smbguard_semantics::compile;
use smbguard_verify::verify;

const POLICY: &str = include_str!("../../../../docs/policy.md");
const TAGS: &str = include_str!("../../../../fixtures/service-tags/ServiceTags_Public_test.json");

/// One row of a documentation table: its section, its key and the code
/// span of its `example` (or `default`) cell.
struct Row {
    section: String,
    key: String,
    code: String,
}

/// The first code span of `cell`, if any.
fn code_span(cell: &str) -> Option<String> {
    let start = cell.find('`')? + 1;
    let len = cell[start..].find('`')?;
    Some(cell[start..start + len].to_string())
}

/// Every table row of docs/policy.md under a `## `[section]`` heading,
/// with the code span of the column named `column`.
fn rows(column: &str) -> Vec<Row> {
    let mut out = Vec::new();
    let (mut section, mut col) = (String::new(), None);
    for line in POLICY.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            section = code_span(h).unwrap_or_default();
            col = None;
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 3 || !line.starts_with('|') {
            continue;
        }
        if cells[1] == "key" {
            col = cells.iter().position(|c| *c == column);
            continue;
        }
        let (Some(c), Some(key)) = (col, code_span(cells[1])) else {
            continue;
        };
        if let Some(code) = cells.get(c).and_then(|cell| code_span(cell)) {
            out.push(Row {
                section: section.clone(),
                key,
                code,
            });
        }
    }
    out
}

/// The table of `text` headed `header` (and, for arrays of tables, whose
/// `name` is `name`): the index of its header line and of the line after it.
fn table(lines: &[String], header: &str, name: Option<&str>) -> (usize, usize) {
    let mut i = 0;
    while i < lines.len() {
        if lines[i] == header {
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].starts_with('['))
                .unwrap_or(lines.len());
            let named = name.is_none_or(|n| {
                lines[i..end]
                    .iter()
                    .any(|l| l.trim() == format!("name = \"{n}\""))
            });
            if named {
                return (i, end);
            }
            i = end;
        } else {
            i += 1;
        }
    }
    panic!("the example estate has no {header} {name:?}")
}

/// Writes `line` (`key = value`) into the table, replacing the key's line.
fn set(text: &str, header: &str, name: Option<&str>, key: &str, line: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let (start, end) = table(&lines, header, name);
    let prefix = format!("{key} =");
    match (start + 1..end).find(|&j| lines[j].starts_with(&prefix)) {
        Some(j) => lines[j] = line.to_string(),
        None => lines.insert(start + 1, line.to_string()),
    }
    lines.join("\n") + "\n"
}

/// Removes `key`'s line from the table.
fn unset(text: &str, header: &str, key: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let (start, end) = table(&lines, header, None);
    let prefix = format!("{key} =");
    if let Some(j) = (start + 1..end).find(|&j| lines[j].starts_with(&prefix)) {
        lines.remove(j);
    }
    lines.join("\n") + "\n"
}

fn load(text: &str) -> Result<Parsed, String> {
    let tags = |_: Option<&str>| Ok(("ServiceTags_Public_test.json".into(), TAGS.into()));
    parse_estate_with_service_tags(text, &tags).map_err(|r| {
        r.diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// The group of the example estate each `[[groups]]` example is written
/// into: one the key is documented for.
fn group_for(key: &str) -> &'static str {
    match key {
        "clients" | "outbound-block" | "accept-smb-on" => "file-server",
        "needs-dc-smb" | "services" => "members",
        "deployed-gpos" => "domain-controllers",
        "platform" => "nas",
        "name" | "description" | "role" | "addresses" | "sid" | "domain-joined" => "workstations",
        other => {
            panic!("docs/policy.md has a new [[groups]] example for `{other}`: name its group here")
        }
    }
}

/// The example estate with one documented example written in.
fn with_example(row: &Row) -> String {
    let line = row.code.as_str();
    match row.section.as_str() {
        "[estate]" => set(EXAMPLE_ESTATE, "[estate]", None, &row.key, line),
        "[[groups]]" => set(
            EXAMPLE_ESTATE,
            "[[groups]]",
            Some(group_for(&row.key)),
            &row.key,
            line,
        ),
        "[[management]]" => set(EXAMPLE_ESTATE, "[[management]]", None, &row.key, line),
        "[[perimeter.allow]]" => set(EXAMPLE_ESTATE, "[[perimeter.allow]]", None, &row.key, line),
        "[[invariants]]" => format!(
            "{EXAMPLE_ESTATE}\n[[invariants]]\n{}\n",
            invariant_example()
        ),
        other => panic!("docs/policy.md has examples under {other}: teach this test where they go"),
    }
}

/// The `[[invariants]]` examples together, as one invariant.
fn invariant_example() -> String {
    rows("example")
        .into_iter()
        .filter(|r| r.section == "[[invariants]]")
        .map(|r| r.code)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Loads, compiles and verifies; the failures, if any.
fn problems(text: &str) -> Vec<String> {
    let estate: Estate = match load(text) {
        Ok(p) => p.estate,
        Err(e) => return vec![format!("refused at load: {e}")],
    };
    let plan = match compile(&estate) {
        Ok(p) => p,
        Err(e) => return vec![format!("refused by compile: {e}")],
    };
    verify(&plan, &estate)
        .failed()
        .map(|i| format!("{} fails: {:?}", i.id, i.failures))
        .collect()
}

#[test]
fn every_example_in_the_policy_docs_loads_compiles_and_verifies() {
    let rows = rows("example");
    let sections: Vec<&str> = rows.iter().map(|r| r.section.as_str()).collect();
    for s in [
        "[estate]",
        "[[groups]]",
        "[[management]]",
        "[[perimeter.allow]]",
        "[[invariants]]",
    ] {
        assert!(sections.contains(&s), "no examples found under {s}");
    }
    assert!(rows.len() >= 25, "only {} examples found", rows.len());
    let mut failed = Vec::new();
    for row in &rows {
        let key_first = row.code.split_once(" =").map(|(k, _)| k.trim());
        assert_eq!(
            key_first,
            Some(row.key.as_str()),
            "the example of `{}` is not `{} = ...`",
            row.key,
            row.key
        );
        let text = with_example(row);
        assert!(text.contains(&row.code));
        for p in problems(&text) {
            failed.push(format!("{} `{}`: {p}", row.section, row.code));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn the_invariant_example_is_proved() {
    let text = format!(
        "{EXAMPLE_ESTATE}\n[[invariants]]\n{}\n",
        invariant_example()
    );
    let estate = load(&text).unwrap().estate;
    assert_eq!(estate.invariants.len(), 1);
    let plan = compile(&estate).unwrap();
    let report = verify(&plan, &estate);
    let user: Vec<_> = report.invariants.iter().filter(|i| i.user).collect();
    assert_eq!(user.len(), 1);
    assert!(user[0].failures.is_empty(), "{:?}", user[0].failures);
}

/// The estate without source locations (one more line moves every span).
fn spanless(mut e: Estate) -> Estate {
    for g in &mut e.groups {
        g.spans = Default::default();
    }
    for m in &mut e.management {
        m.span = None;
    }
    for p in &mut e.perimeter_allow {
        p.span = None;
    }
    e
}

#[test]
fn every_documented_smb_default_is_the_default() {
    let rows: Vec<Row> = rows("default")
        .into_iter()
        .filter(|r| r.section == "[smb]")
        .collect();
    assert!(rows.len() >= 10, "only {} [smb] defaults found", rows.len());
    for row in rows {
        let without = unset(EXAMPLE_ESTATE, "[smb]", &row.key);
        let with = set(
            &without,
            "[smb]",
            None,
            &row.key,
            &format!("{} = {}", row.key, row.code),
        );
        let (a, b) = (
            spanless(load(&without).unwrap().estate),
            spanless(load(&with).unwrap().estate),
        );
        assert_eq!(a, b, "`{} = {}` is not the default", row.key, row.code);
    }
}
