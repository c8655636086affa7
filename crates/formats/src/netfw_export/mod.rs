//! `Get-NetFirewallRule` exports as CSV or JSON, turned into MS-GPFAS
//! firewall rule records ([`FirewallRuleRecord`]) so that they lower like the
//! registry's rules.
//!
//! The layout is the community one (`Export-FirewallRules` of the
//! Firewall-Manager module and its many copies): one row per rule with
//! `Name; DisplayName; Description; Group; Enabled; Profile; Platform;
//! Direction; Action; EdgeTraversalPolicy; LooseSourceMapping;
//! LocalOnlyMapping; Owner; LocalAddress; RemoteAddress; Protocol; LocalPort;
//! RemotePort; IcmpType; DynamicTarget; Program; Package; Service;
//! InterfaceAlias; InterfaceType; LocalUser; RemoteUser; RemoteMachine;
//! Authentication; Encryption; OverrideBlockRules`, lists joined with `,`.
//! Columns may be in any order and any may be missing (a missing column is
//! "Any"). CSV files are `;`-separated (or `,`), in any Windows code page
//! (Windows PowerShell's `Set-Content` writes ANSI). JSON may also carry enums
//! as numbers (`ConvertTo-Json` without stringifying) and nested filter
//! objects.
//!
//! **Lossy.** Such an export is not the policy:
//! * the store of each rule is not recorded (`-PolicyStore ActiveStore`, the
//!   default, mixes Group Policy, local and MDM rules after merging);
//! * profile settings, connection security rules and authentication sets are
//!   not in it at all;
//! * `Platform`, `InterfaceAlias` (MS-GPFAS names interfaces by GUID) and
//!   `DynamicTarget` have no place in the record and are listed in
//!   [`ExportedRule::not_carried`] when set;
//! * `DisplayName`, `Description` and `Group` are localized text (they go to
//!   the record's `Name`, `Desc` and `EmbedCtxt`).

mod export_records;

use serde::Serialize;

use crate::gpfas::{FirewallRuleRecord, PortKeyword};
use crate::text::{TextEncoding, decode_text};
use crate::{Error, ErrorKind, Location};
use export_records::{Row, csv_rows, json_rows};

/// Which kind of export was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ExportFormat {
    /// `ConvertTo-Csv` / `Export-Csv`.
    Csv,
    /// `ConvertTo-Json`.
    Json,
}

/// One rule of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportedRule {
    /// 0-based index of the rule in the export.
    pub index: usize,
    /// The rule ID (`Name`).
    pub id: String,
    /// The rule as an MS-GPFAS record.
    pub record: FirewallRuleRecord,
    /// Fields set in the export that the record cannot hold (see the module docs).
    pub not_carried: Vec<String>,
}

/// An export read by [`read_netfw_csv`] or [`read_netfw_json`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetFirewallExport {
    /// CSV or JSON.
    pub format: ExportFormat,
    /// How the bytes were decoded.
    pub encoding: TextEncoding,
    /// The rules that could be read, in export order.
    pub rules: Vec<ExportedRule>,
    /// Rules that could not be read, each at [`Location::Record`].
    pub skipped: Vec<Error>,
}

/// Reads a CSV export; `code_page` decodes files that are not UTF-8 or UTF-16.
///
/// # Errors
/// An undecodable file, or a header without a `Name` column.
pub fn read_netfw_csv(bytes: &[u8], code_page: u16) -> Result<NetFirewallExport, Error> {
    let (text, encoding) = decode_text(bytes, code_page)?;
    Ok(collect(ExportFormat::Csv, encoding, csv_rows(&text)?))
}

/// Reads a JSON export (UTF-8 or UTF-16, as `Out-File` writes it).
///
/// # Errors
/// An undecodable file, invalid JSON, or JSON that is neither an array nor an object.
pub fn read_netfw_json(bytes: &[u8]) -> Result<NetFirewallExport, Error> {
    let (text, encoding) = decode_text(bytes, 65001)?;
    Ok(collect(ExportFormat::Json, encoding, json_rows(&text)?))
}

fn collect(
    format: ExportFormat,
    encoding: TextEncoding,
    rows: Vec<Result<Row, Error>>,
) -> NetFirewallExport {
    let mut export = NetFirewallExport {
        format,
        encoding,
        rules: Vec::new(),
        skipped: Vec::new(),
    };
    for (index, row) in rows.into_iter().enumerate() {
        match row.and_then(|row| rule(index, &row)) {
            Ok(rule) => export.rules.push(rule),
            Err(error) => export.skipped.push(error),
        }
    }
    export
}

fn rule(index: usize, row: &Row) -> Result<ExportedRule, Error> {
    let at = |field: Option<&str>, kind| {
        Error::new(
            Location::Record {
                index,
                field: field.map(str::to_owned),
            },
            kind,
        )
    };
    let id = field(row, "name");
    if id.is_empty() {
        return Err(at(
            Some("Name"),
            ErrorKind::syntax("a rule needs a Name", ""),
        ));
    }
    let mut b = Builder::default();
    b.build(row).map_err(|(name, reason)| {
        at(
            Some(name),
            ErrorKind::syntax(reason, field(row, &name.to_ascii_lowercase())),
        )
    })?;
    let (record, _) = FirewallRuleRecord::parse(&b.text).map_err(|e| at(None, e.kind().clone()))?;
    Ok(ExportedRule {
        index,
        id: id.to_owned(),
        record,
        not_carried: b.not_carried,
    })
}

fn field<'a>(row: &'a Row, name: &str) -> &'a str {
    row.get(name).map_or("", |v| v.trim())
}

fn is_any(value: &str) -> bool {
    value.is_empty() || value.eq_ignore_ascii_case("Any") || value == "*"
}

fn is_true(value: &str) -> bool {
    value.eq_ignore_ascii_case("True") || value == "1"
}

fn items(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|v| !v.is_empty())
}

type Built = Result<(), (&'static str, &'static str)>;

/// Writes the rule string token by token.
#[derive(Default)]
struct Builder {
    text: String,
    not_carried: Vec<String>,
}

impl Builder {
    fn token(&mut self, field: &'static str, token: &str, value: &str) -> Built {
        if value.contains('|') {
            return Err((field, "`|` cannot be written in a rule string"));
        }
        self.text.push_str(token);
        self.text.push('=');
        self.text.push_str(value);
        self.text.push('|');
        Ok(())
    }

    fn build(&mut self, row: &Row) -> Built {
        self.text.push_str("v2.30|");
        self.action(row)?;
        self.basics(row)?;
        let protocol = self.protocol(row)?;
        self.ports(row, "LocalPort", "LPort")?;
        self.ports(row, "RemotePort", "RPort")?;
        self.icmp(row, protocol)?;
        self.addresses(row, "LocalAddress", "LA")?;
        self.addresses(row, "RemoteAddress", "RA")?;
        self.conditions(row)?;
        self.security(row)?;
        for name in ["Platform", "InterfaceAlias", "DynamicTarget"] {
            if !is_any(field(row, &name.to_ascii_lowercase())) {
                self.not_carried.push(name.to_owned());
            }
        }
        Ok(())
    }

    fn action(&mut self, row: &Row) -> Built {
        let action = match field(row, "action") {
            a if a.eq_ignore_ascii_case("Allow") || a == "2" => "Allow",
            a if a.eq_ignore_ascii_case("Block") || a == "4" => "Block",
            _ => return Err(("Action", "expected Allow or Block")),
        };
        let bypass = action == "Allow" && is_true(field(row, "overrideblockrules"));
        self.token("Action", "Action", if bypass { "ByPass" } else { action })
    }

    fn basics(&mut self, row: &Row) -> Built {
        match field(row, "enabled") {
            e if is_true(e) => self.token("Enabled", "Active", "TRUE")?,
            e if e.eq_ignore_ascii_case("False") || e == "2" => {
                self.token("Enabled", "Active", "FALSE")?
            }
            _ => return Err(("Enabled", "expected True or False")),
        }
        match field(row, "direction") {
            d if d.eq_ignore_ascii_case("Inbound") || d == "1" => {
                self.token("Direction", "Dir", "In")?
            }
            d if d.eq_ignore_ascii_case("Outbound") || d == "2" => {
                self.token("Direction", "Dir", "Out")?
            }
            _ => return Err(("Direction", "expected Inbound or Outbound")),
        }
        self.profiles(field(row, "profile"))?;
        for (column, token) in [
            ("displayname", "Name"),
            ("description", "Desc"),
            ("group", "EmbedCtxt"),
        ] {
            let value = field(row, column);
            if !value.is_empty() {
                self.token("DisplayName", token, value)?;
            }
        }
        Ok(())
    }

    fn profiles(&mut self, value: &str) -> Built {
        if is_any(value) || value == "0" {
            return Ok(());
        }
        if let Ok(flags) = value.parse::<u8>() {
            for (bit, name) in [(1, "Domain"), (2, "Private"), (4, "Public")] {
                if flags & bit != 0 {
                    self.token("Profile", "Profile", name)?;
                }
            }
            return Ok(());
        }
        for item in items(value) {
            self.token("Profile", "Profile", item)?;
        }
        Ok(())
    }

    fn protocol(&mut self, row: &Row) -> Result<Option<u8>, (&'static str, &'static str)> {
        let value = field(row, "protocol");
        let number = match value.to_ascii_uppercase().as_str() {
            v if is_any(v) || v == "ANY" => return Ok(None),
            "TCP" => 6,
            "UDP" => 17,
            "ICMPV4" => 1,
            "ICMPV6" => 58,
            v => v.parse().map_err(|_| {
                (
                    "Protocol",
                    "expected TCP, UDP, ICMPv4, ICMPv6, Any or 0-255",
                )
            })?,
        };
        self.token("Protocol", "Protocol", &number.to_string())?;
        Ok(Some(number))
    }

    fn ports(&mut self, row: &Row, column: &'static str, base: &str) -> Built {
        let value = field(row, &column.to_ascii_lowercase());
        if is_any(value) {
            return Ok(());
        }
        for item in items(value) {
            let item = match item {
                i if i.eq_ignore_ascii_case("RPCEPMap") => "RPC-EPMap",
                i if i.eq_ignore_ascii_case("PlayToDiscovery") => "Ply2Disc",
                i => i,
            };
            let token = match item.chars().next() {
                Some(c) if c.is_ascii_digit() => base.to_owned(),
                _ => match PortKeyword::parse(item).default_token_version() {
                    Some(v) => format!("{base}{}_{}", v.major, v.minor),
                    None => base.to_owned(),
                },
            };
            self.token(column, &token, item)?;
        }
        Ok(())
    }

    fn icmp(&mut self, row: &Row, protocol: Option<u8>) -> Built {
        let value = field(row, "icmptype");
        if is_any(value) {
            return Ok(());
        }
        let token = match protocol {
            Some(1) => "ICMP4",
            Some(58) => "ICMP6",
            _ => return Err(("IcmpType", "ICMP types need protocol ICMPv4 or ICMPv6")),
        };
        for item in items(value) {
            let item = if item.contains(':') {
                item.to_owned()
            } else {
                format!("{item}:*")
            };
            self.token("IcmpType", token, &item)?;
        }
        Ok(())
    }

    fn addresses(&mut self, row: &Row, column: &'static str, prefix: &str) -> Built {
        let value = field(row, &column.to_ascii_lowercase());
        if is_any(value) {
            return Ok(());
        }
        for item in items(value) {
            for (token, text) in address_tokens(prefix, item) {
                self.token(column, &token, &text)?;
            }
        }
        Ok(())
    }

    fn conditions(&mut self, row: &Row) -> Built {
        for (column, name, token) in [
            ("program", "Program", "App"),
            ("service", "Service", "Svc"),
            ("package", "Package", "AppPkgId"),
            ("owner", "Owner", "LUOwn"),
        ] {
            let value = field(row, column);
            if !is_any(value) {
                self.token(name, token, value)?;
            }
        }
        let types = field(row, "interfacetype");
        if !is_any(types) {
            for item in items(types) {
                let t = if item.eq_ignore_ascii_case("Wired") {
                    "Lan"
                } else {
                    item
                };
                self.token("InterfaceType", "IFType", t)?;
            }
        }
        match field(row, "edgetraversalpolicy") {
            e if e.eq_ignore_ascii_case("Allow") || e == "1" => {
                self.token("EdgeTraversalPolicy", "Edge", "TRUE")?
            }
            e if e.eq_ignore_ascii_case("DeferToUser") || e == "2" => {
                self.token("EdgeTraversalPolicy", "Edge", "TRUE")?;
                self.token("EdgeTraversalPolicy", "Defer", "User")?;
            }
            e if e.eq_ignore_ascii_case("DeferToApp") || e == "3" => {
                self.token("EdgeTraversalPolicy", "Edge", "TRUE")?;
                self.token("EdgeTraversalPolicy", "Defer", "App")?;
            }
            _ => {}
        }
        for (column, name, token) in [
            ("loosesourcemapping", "LooseSourceMapping", "LSM"),
            ("localonlymapping", "LocalOnlyMapping", "LOM"),
        ] {
            if is_true(field(row, column)) {
                self.token(name, token, "TRUE")?;
            }
        }
        Ok(())
    }

    fn security(&mut self, row: &Row) -> Built {
        let auth = field(row, "authentication");
        let enc = field(row, "encryption");
        let required = |v: &str| v.eq_ignore_ascii_case("Required") || v == "1";
        if required(enc) || enc.eq_ignore_ascii_case("Dynamic") || enc == "2" {
            self.token("Encryption", "Security", "AuthenticateEncrypt")?;
            if !required(enc) {
                self.token("Encryption", "Security2", "AnE-Nego")?;
            }
        } else if required(auth) {
            self.token("Authentication", "Security", "Authenticate")?;
        } else if auth.eq_ignore_ascii_case("NoEncap") || auth == "2" {
            self.token("Authentication", "Security", "Authenticate")?;
            self.token("Authentication", "Security2_9", "An-NoEncap")?;
        }
        for (column, name, token) in [
            ("remotemachine", "RemoteMachine", "RMauth"),
            ("remoteuser", "RemoteUser", "RUAuth"),
            ("localuser", "LocalUser", "LUAuth"),
        ] {
            let value = field(row, column);
            if !is_any(value) {
                self.token(name, token, value)?;
            }
        }
        Ok(())
    }
}

/// The rule-string tokens of one address item (`LA`/`RA` prefix).
fn address_tokens(prefix: &str, item: &str) -> Vec<(String, String)> {
    let both = |kw: &str| {
        vec![
            (format!("{prefix}4"), kw.to_owned()),
            (format!("{prefix}6"), kw.to_owned()),
        ]
    };
    let lower = item.to_ascii_lowercase();
    let keyword2 = match lower.as_str() {
        "intranet" => Some("IntrAnet"),
        "internet" => Some("IntErnet"),
        "playtodevice" => Some("Ply2Renders"),
        "intranetremoteaccess" => Some("RmtIntrAnet"),
        "captiveportal" => Some("CaptivePortal"),
        _ => None,
    };
    if let Some(kw) = keyword2 {
        return vec![
            (format!("{prefix}42"), kw.to_owned()),
            (format!("{prefix}62"), kw.to_owned()),
        ];
    }
    for kw in ["LocalSubnet", "DNS", "DHCP", "WINS", "DefaultGateway"] {
        let kl = kw.to_ascii_lowercase();
        if lower == kl {
            return both(kw);
        }
        if lower == format!("{kl}4") {
            return vec![(format!("{prefix}4"), kw.to_owned())];
        }
        if lower == format!("{kl}6") {
            return vec![(format!("{prefix}6"), kw.to_owned())];
        }
    }
    let family = if item.contains(':') { '6' } else { '4' };
    vec![(format!("{prefix}{family}"), item.to_owned())]
}
