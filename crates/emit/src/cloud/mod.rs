//! Cloud network filters from the perimeter ACL: Azure network security
//! group rules and AWS network ACL entries.

pub(crate) mod aws_nacl;
pub(crate) mod azure_nsg;

/// `s` cut to at most `max` characters (with `...`), control characters removed.
pub(crate) fn cut(s: &str, max: usize) -> String {
    let s = crate::non_windows::clean(s);
    if s.chars().count() <= max {
        s
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(3)).collect();
        t.push_str("...");
        t
    }
}
