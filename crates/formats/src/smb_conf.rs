//! Samba's configuration as `testparm -s` prints it (also a plain `smb.conf`):
//! `[section]` headers and `name = value` lines, `#`/`;` comments, `\`
//! continuation lines. `testparm`'s own remarks before the first section
//! (`Load smb config files from ...`, `Server role: ...`) are ignored.
//!
//! [`read_smb_conf`] keeps every parameter with its line; [`SambaSettings`]
//! picks out the ones that decide SMB exposure (protocol floor, signing,
//! encryption, NTLM, ports, interfaces, host lists, shares). Parameter names
//! are matched as Samba does: case-insensitively, ignoring spaces and
//! underscores, with the documented synonyms (`min protocol`,
//! `smb encrypt`, `allow hosts`, ...). Values are kept as written: what
//! they mean is the auditor's business.

use serde::Serialize;

use crate::text::{decode_text, lines};
use crate::{Error, ErrorKind};

/// One `name = value` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmbParam {
    /// 1-based line (the first, when continued).
    pub line: usize,
    /// The name as written.
    pub name: String,
    /// The value, trimmed.
    pub value: String,
}

/// A `[section]` and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmbSection {
    /// 1-based line of the header.
    pub line: usize,
    /// The section name (`global`, a share name, `homes`, `printers`).
    pub name: String,
    /// Parameters in order.
    pub params: Vec<SmbParam>,
}

impl SmbSection {
    /// The last value of parameter `name` (or a synonym), Samba's matching.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        let wanted = canonical(name);
        self.params
            .iter()
            .rev()
            .find(|p| canonical(&p.name) == wanted)
            .map(|p| p.value.as_str())
    }
}

/// A configuration read by [`read_smb_conf`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmbConf {
    /// Sections in order (a repeated section name is kept twice, as written).
    pub sections: Vec<SmbSection>,
    /// Lines inside sections that are neither parameters nor comments.
    pub skipped: Vec<Error>,
}

impl SmbConf {
    /// The `[global]` section, if any.
    #[must_use]
    pub fn global(&self) -> Option<&SmbSection> {
        self.sections
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case("global"))
    }
}

/// Reads `testparm -s` output or an `smb.conf` file (UTF-8, else `code_page`).
///
/// # Errors
/// Undecodable bytes, or text with no `[section]` at all.
pub fn read_smb_conf(bytes: &[u8], code_page: u16) -> Result<SmbConf, Error> {
    let (text, _) = decode_text(bytes, code_page)?;
    let mut conf = SmbConf {
        sections: Vec::new(),
        skipped: Vec::new(),
    };
    let mut physical = lines(&text).enumerate().map(|(i, l)| (i + 1, l));
    while let Some((number, first)) = physical.next() {
        let mut logical = first.trim().to_owned();
        while logical.ends_with('\\') {
            logical.pop();
            match physical.next() {
                Some((_, next)) => logical.push_str(next.trim()),
                None => break,
            }
        }
        read_line(&mut conf, number, &logical);
    }
    if conf.sections.is_empty() {
        return Err(Error::line(
            1,
            ErrorKind::MissingHeader {
                expected: "a `[section]` (testparm -s output or smb.conf)",
                found: crate::error::clip(text.trim_start().lines().next().unwrap_or("")),
            },
        ));
    }
    Ok(conf)
}

fn read_line(conf: &mut SmbConf, line: usize, text: &str) {
    if text.is_empty() || text.starts_with('#') || text.starts_with(';') {
        return;
    }
    if let Some(name) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        conf.sections.push(SmbSection {
            line,
            name: name.trim().to_owned(),
            params: Vec::new(),
        });
        return;
    }
    // testparm's remarks come before the first section and are not parameters.
    let Some(section) = conf.sections.last_mut() else {
        return;
    };
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => section.params.push(SmbParam {
            line,
            name: name.trim().to_owned(),
            value: value.trim().to_owned(),
        }),
        _ => conf.skipped.push(Error::line(
            line,
            ErrorKind::syntax("expected `name = value`", text),
        )),
    }
}

/// Samba's parameter-name matching: lower case, no spaces or underscores,
/// deprecated synonyms mapped to their parameter.
fn canonical(name: &str) -> String {
    let squashed: String = name
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .flat_map(char::to_lowercase)
        .collect();
    let synonym = match squashed.as_str() {
        "minprotocol" => "serverminprotocol",
        "protocol" | "maxprotocol" => "servermaxprotocol",
        "smbencrypt" => "serversmbencrypt",
        "allowhosts" => "hostsallow",
        "denyhosts" => "hostsdeny",
        "browsable" => "browseable",
        "public" => "guestok",
        _ => return squashed,
    };
    synonym.to_owned()
}

/// The `[global]` parameters and shares that decide SMB exposure, as written
/// (`None` when not set: Samba's default applies).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SambaSettings {
    /// `server min protocol`.
    pub server_min_protocol: Option<String>,
    /// `server max protocol`.
    pub server_max_protocol: Option<String>,
    /// `client min protocol`.
    pub client_min_protocol: Option<String>,
    /// `server smb encrypt` (`smb encrypt`).
    pub server_smb_encrypt: Option<String>,
    /// `client smb encrypt`.
    pub client_smb_encrypt: Option<String>,
    /// `server signing`.
    pub server_signing: Option<String>,
    /// `client signing`.
    pub client_signing: Option<String>,
    /// `ntlm auth`.
    pub ntlm_auth: Option<String>,
    /// `smb ports`.
    pub smb_ports: Option<String>,
    /// `disable netbios`.
    pub disable_netbios: Option<String>,
    /// `interfaces`.
    pub interfaces: Option<String>,
    /// `bind interfaces only`.
    pub bind_interfaces_only: Option<String>,
    /// `hosts allow` in `[global]`.
    pub hosts_allow: Option<String>,
    /// `hosts deny` in `[global]`.
    pub hosts_deny: Option<String>,
    /// Every section but `[global]`.
    pub shares: Vec<SambaShare>,
}

/// A share section's exposure-relevant parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SambaShare {
    /// Section name.
    pub name: String,
    /// `path`.
    pub path: Option<String>,
    /// `available`.
    pub available: Option<String>,
    /// `server smb encrypt` (`smb encrypt`) for this share.
    pub smb_encrypt: Option<String>,
    /// `hosts allow`.
    pub hosts_allow: Option<String>,
    /// `hosts deny`.
    pub hosts_deny: Option<String>,
    /// `guest ok` (`public`).
    pub guest_ok: Option<String>,
}

impl SambaSettings {
    /// Picks the settings out of a configuration.
    #[must_use]
    pub fn from_conf(conf: &SmbConf) -> Self {
        let global = |name: &str| conf.global().and_then(|g| g.get(name)).map(str::to_owned);
        let shares = conf
            .sections
            .iter()
            .filter(|s| !s.name.eq_ignore_ascii_case("global"))
            .map(|s| {
                let get = |name: &str| s.get(name).map(str::to_owned);
                SambaShare {
                    name: s.name.clone(),
                    path: get("path"),
                    available: get("available"),
                    smb_encrypt: get("server smb encrypt"),
                    hosts_allow: get("hosts allow"),
                    hosts_deny: get("hosts deny"),
                    guest_ok: get("guest ok"),
                }
            })
            .collect();
        Self {
            server_min_protocol: global("server min protocol"),
            server_max_protocol: global("server max protocol"),
            client_min_protocol: global("client min protocol"),
            server_smb_encrypt: global("server smb encrypt"),
            client_smb_encrypt: global("client smb encrypt"),
            server_signing: global("server signing"),
            client_signing: global("client signing"),
            ntlm_auth: global("ntlm auth"),
            smb_ports: global("smb ports"),
            disable_netbios: global("disable netbios"),
            interfaces: global("interfaces"),
            bind_interfaces_only: global("bind interfaces only"),
            hosts_allow: global("hosts allow"),
            hosts_deny: global("hosts deny"),
            shares,
        }
    }
}
