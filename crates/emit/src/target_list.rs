//! Target-list parsing (`--target` values, the `windows` and `all` aliases),
//! apart from `target` so the enum stays a leaf module.

use std::str::FromStr;

use crate::artifact::EmitError;
use crate::target::Target;

impl Target {
    /// Parses `--target` values: each may be a comma-separated list of
    /// target names, `windows` (powershell, netsh, gpo) or `all`; case and
    /// surrounding spaces are ignored, duplicates dropped, order kept.
    pub fn parse_list<S: AsRef<str>>(values: &[S]) -> Result<Vec<Target>, EmitError> {
        let mut out: Vec<Target> = Vec::new();
        for name in values.iter().flat_map(|v| v.as_ref().split(',')) {
            let name = name.trim().to_ascii_lowercase();
            let add: Vec<Target> = match name.as_str() {
                "" => continue,
                "all" => Target::ALL.to_vec(),
                "windows" => Target::WINDOWS.to_vec(),
                other => vec![other.parse()?],
            };
            for t in add {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        if out.is_empty() {
            return Err(EmitError::NoTarget);
        }
        Ok(out)
    }
}

impl FromStr for Target {
    type Err = EmitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Target::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Target::ALL.iter().map(|t| t.as_str()).collect();
                EmitError::UnknownTarget {
                    name: s.chars().take(64).collect(),
                    known: names.join(", "),
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_lists_parse() {
        assert_eq!(
            Target::parse_list(&["all"]).ok(),
            Some(Target::ALL.to_vec())
        );
        assert_eq!(
            Target::parse_list(&["Windows,nftables", "gpo"]).ok(),
            Some(vec![
                Target::PowerShell,
                Target::Netsh,
                Target::Gpo,
                Target::Nftables
            ])
        );
        assert!(matches!(
            Target::parse_list(&["pf"]),
            Err(EmitError::UnknownTarget { .. })
        ));
        assert_eq!(Target::parse_list(&[" , "]), Err(EmitError::NoTarget));
    }
}
