//! The small part of SDDL that Windows Firewall authorisation lists use:
//! `O:LSD:(A;;CC;;;S-1-5-21-…)(A;;CC;;;…)` (MS-GPFAS `RMauth=` / `RUAuth=`,
//! PowerShell `-RemoteMachine 'D:(A;;CC;;;SID)'`).

/// The trustees of an authorisation list: SIDs (or SDDL aliases such as `DC`)
/// allowed, and those denied. Malformed ACEs are returned verbatim in `odd`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Trustees {
    pub(crate) allowed: Vec<String>,
    pub(crate) denied: Vec<String>,
    pub(crate) odd: Vec<String>,
}

/// Splits the DACL of `sddl` into ACEs and sorts their trustees. Never fails.
pub(crate) fn trustees(sddl: &str) -> Trustees {
    let mut out = Trustees::default();
    let dacl = match sddl.find("D:") {
        Some(i) => &sddl[i + 2..],
        None => sddl,
    };
    let mut rest = dacl;
    while let Some(open) = rest.find('(') {
        let Some(len) = rest[open..].find(')') else {
            out.odd.push(rest[open..].to_owned());
            break;
        };
        let ace = &rest[open + 1..open + len];
        rest = &rest[open + len + 1..];
        let fields: Vec<&str> = ace.split(';').collect();
        match fields.as_slice() {
            [kind, _, _, _, _, trustee] if kind.eq_ignore_ascii_case("A") => {
                out.allowed.push((*trustee).to_owned());
            }
            [kind, _, _, _, _, trustee] if kind.eq_ignore_ascii_case("D") => {
                out.denied.push((*trustee).to_owned());
            }
            _ => out.odd.push(ace.to_owned()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_allowed_and_denied_trustees() {
        let t =
            trustees("O:LSD:(A;;CC;;;S-1-5-21-1-2-3-515)(D;;CC;;;S-1-5-21-1-2-3-516)(A;;CC;;;DC)");
        assert_eq!(t.allowed, ["S-1-5-21-1-2-3-515", "DC"]);
        assert_eq!(t.denied, ["S-1-5-21-1-2-3-516"]);
        assert!(t.odd.is_empty());
    }

    #[test]
    fn powershell_form_and_garbage() {
        assert_eq!(trustees("D:(A;;CC;;;S-1-5-9)").allowed, ["S-1-5-9"]);
        let t = trustees("D:(A;;CC)(A;;CC;;;S-1");
        assert_eq!(t.odd, ["A;;CC", "(A;;CC;;;S-1"]);
    }
}
