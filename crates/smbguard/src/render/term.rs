//! Terminal safety for text output. Strings from a capture, a deployed
//! configuration or an estate can hold CR, LF, ESC and other control
//! characters: printed raw they forge report lines and drive the terminal
//! (colours, cursor moves, window titles). Every such string is shown with
//! its control characters spelled out (`\r`, `\n`, `\x1b`, `\u{202e}`).

use std::borrow::Cow;
use std::fmt::Write;

/// Unicode format characters that reorder or hide text (bidi overrides and
/// isolates, zero-width joiners): shown escaped too, so what is printed is
/// what is there.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

fn needs_escape(c: char) -> bool {
    c.is_control() || is_invisible_format(c)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// One untrusted string (a name, a share path, a message) for a line of
/// text: every control character, line breaks included, escaped.
pub(crate) fn esc(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A whole rendered report: control characters escaped except the line
/// breaks the renderer wrote. A backstop behind [`esc`] at each field, for
/// strings a renderer forgot; it cannot restore a line break hidden in a
/// field, which is why the fields are escaped first.
pub(crate) fn sanitize(text: String) -> String {
    if !text.chars().any(|c| c != '\n' && needs_escape(c)) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c != '\n' && needs_escape(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// At most `max` bytes of an untrusted string for a diagnostic (cut at a
/// character boundary, with how much was left out), escaped.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return esc(s).into_owned();
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… ({} more bytes)", esc(&s[..cut]), s.len() - cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_spelled_out() {
        assert_eq!(
            esc("a\r\nb\x1b[31m\u{9b}\u{202e}"),
            "a\\r\\nb\\x1b[31m\\u{9b}\\u{202e}"
        );
        assert!(matches!(esc("\\\\srv\\IPC$ é"), Cow::Borrowed(_)));
    }

    #[test]
    fn sanitize_keeps_line_breaks_only() {
        assert_eq!(sanitize("a\x07\nb\r\n".into()), "a\\x07\nb\\r\n");
    }

    #[test]
    fn truncate_cuts_at_a_character_boundary() {
        assert_eq!(truncate("ééé", 3), "é… (4 more bytes)");
        assert_eq!(truncate("ab", 3), "ab");
    }
}
