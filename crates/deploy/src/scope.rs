//! What a ruleset touches: smbguard only ever names `table inet smbguard`
//! at the top level of anything it loads or restores.

use crate::TABLE;

/// One top-level nftables statement: its words and whether a `{ ... }`
/// block followed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statement {
    pub(crate) words: Vec<String>,
    pub(crate) block: bool,
}

impl Statement {
    pub(crate) fn text(&self) -> String {
        self.words.join(" ")
    }
}

/// Splits `text` into its top-level statements, skipping comments and the
/// contents of strings and blocks. `Err` when braces do not balance or a
/// string does not end: then nobody can say what the text touches.
pub(crate) fn statements(text: &str) -> Result<Vec<Statement>, &'static str> {
    let mut out = Vec::new();
    let (mut depth, mut head) = (0usize, String::new());
    let (mut in_string, mut in_comment) = (false, false);
    let flush = |head: &mut String, block: bool, out: &mut Vec<Statement>| {
        let words: Vec<String> = head.split_whitespace().map(str::to_string).collect();
        head.clear();
        if !words.is_empty() || block {
            out.push(Statement { words, block });
        }
    };
    for c in text.chars() {
        if in_comment {
            in_comment = c != '\n';
            if in_comment {
                continue;
            }
        }
        if in_string {
            in_string = c != '"';
            continue;
        }
        match c {
            '"' => in_string = true,
            '#' => in_comment = true,
            '{' => depth += 1,
            '}' if depth == 0 => return Err("a `}` closes nothing"),
            '}' => {
                depth -= 1;
                if depth == 0 {
                    flush(&mut head, true, &mut out);
                }
            }
            '\n' | ';' if depth == 0 => flush(&mut head, false, &mut out),
            _ if depth == 0 => head.push(c),
            _ => {}
        }
    }
    if in_string {
        return Err("a string does not end");
    }
    if depth > 0 {
        return Err("a `{` is never closed");
    }
    flush(&mut head, false, &mut out);
    Ok(out)
}

fn is_smbguard_table(words: &[String]) -> bool {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    matches!(
        w.as_slice(),
        ["table", "inet", "smbguard"]
            | [
                "add" | "create" | "delete" | "destroy" | "flush",
                "table",
                "inet",
                "smbguard"
            ]
    )
}

/// Refuses rulesets whose top-level statements name anything but
/// `table inet smbguard` (other tables, `flush ruleset`, `include`, ...).
pub fn only_smbguard(ruleset: &str) -> Result<(), crate::DeployError> {
    let foreign = crate::DeployError::Foreign;
    let stmts =
        statements(ruleset).map_err(|e| foreign(format!("{e}, so what it touches is unclear")))?;
    match stmts.iter().find(|s| !is_smbguard_table(&s.words)) {
        Some(s) => Err(foreign(format!("top-level statement `{}`", s.text()))),
        None => Ok(()),
    }
}

/// True when `text` is exactly one `table inet smbguard { ... }` block, as
/// `nft list table inet smbguard` prints it: what a saved state may hold.
pub(crate) fn one_smbguard_table(text: &str) -> Result<(), String> {
    let stmts = statements(text).map_err(str::to_string)?;
    match stmts.as_slice() {
        [s] if s.block && s.text() == format!("table {TABLE}") => Ok(()),
        [s] => Err(format!(
            "it holds `{}`, not a `table {TABLE}` block",
            s.text()
        )),
        [] => Err(format!("it holds no `table {TABLE}` block")),
        more => Err(format!(
            "it holds {} top-level statements (`{}`, ...), not one `table {TABLE}` block",
            more.len(),
            more[0].text()
        )),
    }
}

/// The transaction that replaces smbguard's table with `table_text` (a
/// `table inet smbguard { ... }` block), or deletes it when `None`.
pub fn replace_transaction(table_text: Option<&str>) -> String {
    let mut out = format!("table {TABLE} {{}}\ndelete table {TABLE}\n");
    if let Some(t) = table_text {
        out.push_str(t);
        if !t.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}
