//! The one naming authority: file stems for groups, text cleaning for
//! comments, the hash that keeps altered names apart, and the check that
//! every artefact path of an estate is a distinct, portable file name.
//!
//! Every back end takes its group stems from [`group_stems`], so a group has
//! the same stem in every family, and [`check_paths`] runs over the whole
//! artefact set before anything is written: two paths that Windows (or a
//! case-insensitive share) would treat as one, or a path component Windows
//! cannot hold, is an error naming the group, never a silent overwrite.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::artifact::{ArtifactEntry, EmitContext, EmitError};

/// Longest stem kept verbatim; longer names are shortened and hashed.
const MAX_VERBATIM: usize = 64;
/// Characters of an altered name kept before its hash.
const ALTERED_PREFIX: usize = 48;
/// Longest path component (NTFS and ext4 both stop at 255).
const MAX_COMPONENT: usize = 255;

/// 32-bit FNV-1a: small, stable across versions and platforms, and only
/// used to keep altered names apart (never for security).
pub(crate) fn fnv1a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Text made safe for a one-line comment in any artefact language: control
/// characters and the Unicode line and paragraph separators (which YAML and
/// JavaScript-like parsers treat as line breaks) become spaces.
pub(crate) fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// A file-name stem for a group: ASCII letters, digits, `-`, `_` and `.`
/// kept, anything else (path separators, spaces, quotes, non-ASCII) turned
/// into `-`; a stem that had to change gets a hash of the real name so two
/// groups never share a file. Never empty, never starts with `.`, always
/// ASCII (so Unicode normalisation cannot make two stems equal).
pub(crate) fn file_stem(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = mapped.trim_start_matches('.');
    if trimmed == name && !trimmed.is_empty() && trimmed.len() <= MAX_VERBATIM {
        return trimmed.to_owned();
    }
    let base: String = trimmed.chars().take(ALTERED_PREFIX).collect();
    let base = if base.is_empty() {
        "group".to_owned()
    } else {
        base
    };
    format!("{base}-{:08x}", fnv1a(name.as_bytes()))
}

/// The stem of every plan host, in plan order: [`file_stem`], plus the
/// name's hash where two names still share a stem. Every family uses these.
pub(crate) fn group_stems(cx: &EmitContext<'_>) -> Vec<String> {
    let stems: Vec<String> = cx.plan.hosts.iter().map(|h| file_stem(&h.group)).collect();
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for s in &stems {
        *uses.entry(s).or_default() += 1;
    }
    cx.plan
        .hosts
        .iter()
        .zip(&stems)
        .map(|(h, s)| {
            if uses.get(s.as_str()).copied().unwrap_or(0) > 1 {
                format!("{s}-{:08x}", fnv1a(h.group.as_bytes()))
            } else {
                s.clone()
            }
        })
        .collect()
}

/// Device names Windows reserves in every folder, with or without an
/// extension (`CON`, `con.txt`, `COM1.ps1`).
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Why Windows cannot hold `component` as a file or folder name, if it cannot.
pub fn windows_name_problem(component: &str) -> Option<&'static str> {
    if component.is_empty() || component == "." || component == ".." {
        return Some("an empty, `.` or `..` path component");
    }
    if component.len() > MAX_COMPONENT {
        return Some("a path component longer than 255 bytes");
    }
    if component
        .chars()
        .any(|c| c.is_control() || "<>:\"/\\|?*".contains(c))
    {
        return Some("a character Windows forbids in file names (<>:\"/\\|?* or a control)");
    }
    if component.ends_with('.') || component.ends_with(' ') {
        return Some("a trailing dot or space, which Windows strips");
    }
    let base = component.split('.').next().unwrap_or_default().trim_end();
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(base)) {
        return Some("a device name Windows reserves (CON, PRN, AUX, NUL, COM1-9, LPT1-9)");
    }
    None
}

/// The key under which Windows and case-insensitive shares compare a path.
fn fold(path: &str) -> String {
    path.to_lowercase()
}

/// The naming authority's check over a whole artefact set (plus
/// `index.json`): every component is a portable name and no two paths, nor
/// a file and a folder, fold to the same key.
pub(crate) fn check_paths(artifacts: &[ArtifactEntry]) -> Result<(), EmitError> {
    let refuse = |a: &ArtifactEntry, why: String| EmitError::UnsafePath {
        path: a.path.clone(),
        group: a.group.clone(),
        why,
    };
    let mut files: BTreeMap<String, &ArtifactEntry> = BTreeMap::new();
    let mut folders: BTreeSet<String> = BTreeSet::new();
    for a in artifacts {
        if let Some(why) = a.path.split('/').find_map(windows_name_problem) {
            return Err(refuse(a, format!("the path would contain {why}")));
        }
        let key = fold(&a.path);
        if key == "index.json" {
            return Err(refuse(a, "it would replace index.json".into()));
        }
        if let Some(other) = files.insert(key.clone(), a) {
            // Locate the error at a group when either file has one.
            let (blamed, kept) = if a.group.is_none() {
                (other, a)
            } else {
                (a, other)
            };
            return Err(refuse(blamed, clash(kept)));
        }
        let mut prefix = String::new();
        for part in key
            .split('/')
            .collect::<Vec<_>>()
            .iter()
            .rev()
            .skip(1)
            .rev()
        {
            prefix.push_str(part);
            folders.insert(prefix.clone());
            prefix.push('/');
        }
    }
    for (key, a) in &files {
        if folders.contains(key) {
            return Err(refuse(
                a,
                "a folder of another artefact has the same name".into(),
            ));
        }
    }
    Ok(())
}

fn clash(other: &ArtifactEntry) -> String {
    match &other.group {
        Some(g) => format!(
            "it is the same file (ignoring case) as `{}` of group `{}`",
            other.path,
            one_line(g)
        ),
        None => format!(
            "it is the same file (ignoring case) as the estate-wide `{}`",
            other.path
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_are_safe_and_unique() {
        assert_eq!(file_stem("workstations"), "workstations");
        let evil = file_stem("../../etc/passwd");
        assert!(!evil.contains('/') && !evil.starts_with('.'), "{evil}");
        assert_ne!(file_stem("a b"), file_stem("a-b"));
        assert_ne!(file_stem("a/b"), file_stem("a:b"));
        assert!(file_stem("Überwachung").is_ascii());
        assert!(!file_stem("").is_empty());
        assert!(file_stem(&"x".repeat(1 << 20)).len() < 64);
    }

    #[test]
    fn windows_names_are_checked() {
        for bad in [
            "CON",
            "nul",
            "COM1.txt",
            "lpt9.powershell.ps1",
            "a.",
            "a ",
            "a:b",
            "",
        ] {
            assert!(windows_name_problem(bad).is_some(), "{bad:?}");
        }
        for good in ["console", "COM10", "a.b", "nul-1", "{GUID}"] {
            assert_eq!(windows_name_problem(good), None, "{good:?}");
        }
    }
}
