//! Stable, deterministic rule IDs: re-deploying the same estate converges on
//! the same rules instead of adding duplicates.

/// A lowercase ASCII slug of `s` (other characters become `-`).
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let t = out.trim_matches('-');
    if t.is_empty() {
        "x".to_string()
    } else {
        t.chars().take(32).collect()
    }
}

/// 32-bit FNV-1a, so IDs of names that slug alike still differ.
fn fnv1a(parts: &[&str]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
    }
    h
}

/// `smbguard-<group slug>-<hash>-<purpose>`: readable, unique per estate and
/// group, and stable across runs and versions.
pub fn rule_id(estate: &str, group: &str, purpose: &str) -> String {
    format!(
        "smbguard-{}-{:08x}-{}",
        slug(group),
        fnv1a(&[estate, group]),
        purpose
    )
}

/// The `EmbedCtxt` / `-Group` of every rule smbguard owns in an estate.
pub fn rule_group(estate: &str) -> String {
    format!("smbguard ({estate})")
}
