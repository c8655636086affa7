//! What a flow revealed about SMB and NetBIOS: the public result types.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::flow::Service;

/// Most share paths, pipe names and NetBIOS names kept per flow, and their
/// longest length in bytes (memory stays bounded by the number of flows, not
/// by what a flow sends).
const MAX_NAMES: usize = 64;
const MAX_NAME_LEN: usize = 1024;

/// An SMB dialect as negotiated (SMB1 or an SMB2 `DialectRevision`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Dialect {
    /// SMB1/CIFS (any SMB1 dialect string; see [`SmbFacts::smb1_dialect`]).
    Smb1,
    /// SMB 2.0.2 (0x0202).
    Smb202,
    /// SMB 2.1 (0x0210).
    Smb210,
    /// The SMB2 wildcard revision 0x02FF: the server answered an SMB1
    /// multi-protocol NEGOTIATE with SMB2 and expects a second, SMB2,
    /// NEGOTIATE. Only final if that follow-up was not seen.
    Smb2Wildcard,
    /// SMB 3.0 (0x0300).
    Smb300,
    /// SMB 3.0.2 (0x0302).
    Smb302,
    /// SMB 3.1.1 (0x0311).
    Smb311,
    /// Any other revision (e.g. the pre-release 0x0222, 0x0224, 0x0310).
    Other(u16),
}

impl Dialect {
    /// The dialect for an SMB2 `DialectRevision`.
    #[must_use]
    pub const fn from_revision(revision: u16) -> Self {
        match revision {
            0x0202 => Self::Smb202,
            0x0210 => Self::Smb210,
            0x02ff => Self::Smb2Wildcard,
            0x0300 => Self::Smb300,
            0x0302 => Self::Smb302,
            0x0311 => Self::Smb311,
            other => Self::Other(other),
        }
    }

    /// The SMB2 `DialectRevision`, or `None` for SMB1.
    #[must_use]
    pub const fn revision(self) -> Option<u16> {
        match self {
            Self::Smb1 => None,
            Self::Smb202 => Some(0x0202),
            Self::Smb210 => Some(0x0210),
            Self::Smb2Wildcard => Some(0x02ff),
            Self::Smb300 => Some(0x0300),
            Self::Smb302 => Some(0x0302),
            Self::Smb311 => Some(0x0311),
            Self::Other(r) => Some(r),
        }
    }

    /// SMB 3.x: the dialects that can encrypt.
    #[must_use]
    pub const fn is_smb3(self) -> bool {
        matches!(self.revision(), Some(r) if r >= 0x0300 && r != 0x02ff)
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Smb1 => f.write_str("1"),
            Self::Smb202 => f.write_str("2.0.2"),
            Self::Smb210 => f.write_str("2.1"),
            Self::Smb2Wildcard => f.write_str("2.???"),
            Self::Smb300 => f.write_str("3.0"),
            Self::Smb302 => f.write_str("3.0.2"),
            Self::Smb311 => f.write_str("3.1.1"),
            Self::Other(r) => write!(f, "0x{r:04x}"),
        }
    }
}

/// Serialised as its display string ("1", "2.1", "3.1.1", "0x0222").
impl Serialize for Dialect {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Which NetBIOS service a flow used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetbiosKind {
    /// Session service (TCP 139).
    Session,
    /// Name service (UDP 137).
    Name,
    /// Datagram service (UDP 138).
    Datagram,
}

/// Why a flow is considered encrypted. Any one is enough.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EncryptionEvidence {
    /// An SMB3 TRANSFORM header (`0xFD 'SMB'`) was seen.
    pub transform_seen: bool,
    /// A SESSION_SETUP response had SMB2_SESSION_FLAG_ENCRYPT_DATA.
    pub session_flag: bool,
    /// A TREE_CONNECT response had SMB2_SHAREFLAG_ENCRYPT_DATA.
    pub share_flag: bool,
}

impl EncryptionEvidence {
    /// Whether any evidence was found.
    #[must_use]
    pub const fn any(self) -> bool {
        self.transform_seen || self.session_flag || self.share_flag
    }
}

/// SMB and NetBIOS facts learnt from a flow's payload.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SmbFacts {
    /// SMB1 was actually used: the server answered NEGOTIATE in SMB1, or
    /// SMB1 commands other than NEGOTIATE were exchanged. A client merely
    /// *offering* SMB1 dialects is [`SmbFacts::offered_smb1`], not this.
    pub smb1_used: bool,
    /// The client sent an SMB1 NEGOTIATE listing at least one SMB1 dialect.
    pub offered_smb1: bool,
    /// The dialect the server chose, from the last NEGOTIATE response (SMB2
    /// `DialectRevision` or SMB1 dialect index). `Some(Smb1)` also when SMB1
    /// commands were seen without a NEGOTIATE (capture started late).
    pub dialect: Option<Dialect>,
    /// For SMB1, the chosen dialect string (e.g. "NT LM 0.12"), when the
    /// client's list was seen.
    pub smb1_dialect: Option<String>,
    /// Encrypted: see [`SmbFacts::encryption`].
    pub encrypted: bool,
    /// What made [`SmbFacts::encrypted`] true.
    pub encryption: EncryptionEvidence,
    /// A signed SMB message was seen.
    pub signed: bool,
    /// A compression transform (`0xFC 'SMB'`) was seen.
    pub compressed: bool,
    /// TREE_CONNECT share paths as sent (e.g. `\\dc1\ADMIN$`), in order of
    /// first appearance, without case-insensitive duplicates.
    pub shares: Vec<String>,
    /// Named pipes opened on IPC$ (e.g. `svcctl`), lower-cased.
    pub pipes: Vec<String>,
    /// NetBIOS service, for flows on 137/138/139.
    pub netbios: Option<NetbiosKind>,
    /// NetBIOS names queried, registered or used as datagram source or
    /// destination, as `NAME<xx>` with the hex suffix.
    pub netbios_names: Vec<String>,
    /// A SESSION_SETUP request carried an NTLM AUTHENTICATE message (the
    /// client authenticated with NTLM, not Kerberos).
    pub ntlm: bool,
    /// The final status of the last SESSION_SETUP response (interim
    /// STATUS_MORE_PROCESSING_REQUIRED legs are skipped).
    pub session_setup_status: Option<NtStatus>,
    /// Session setups and tree connects the server refused, in order.
    pub denied: Vec<Denial>,
    /// Fields that break the protocol but that servers accept anyway.
    pub anomalies: Vec<Anomaly>,
}

/// An NT status code, serialised by name when it is one the report cares
/// about (`STATUS_ACCESS_DENIED`), else as `0xC0000XXX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NtStatus(pub u32);

impl NtStatus {
    /// STATUS_SUCCESS.
    pub const SUCCESS: Self = Self(0);
    /// STATUS_MORE_PROCESSING_REQUIRED: an interim SESSION_SETUP leg.
    pub const MORE_PROCESSING_REQUIRED: Self = Self(0xc000_0016);

    /// The symbolic name ([MS-ERREF] §2.3.1), for the common refusals.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "STATUS_SUCCESS",
            0xc000_000d => "STATUS_INVALID_PARAMETER",
            0xc000_0016 => "STATUS_MORE_PROCESSING_REQUIRED",
            0xc000_0022 => "STATUS_ACCESS_DENIED",
            0xc000_006d => "STATUS_LOGON_FAILURE",
            0xc000_006e => "STATUS_ACCOUNT_RESTRICTION",
            0xc000_0071 => "STATUS_PASSWORD_EXPIRED",
            0xc000_0072 => "STATUS_ACCOUNT_DISABLED",
            0xc000_00bb => "STATUS_NOT_SUPPORTED",
            0xc000_00ca => "STATUS_NETWORK_ACCESS_DENIED",
            0xc000_00cc => "STATUS_BAD_NETWORK_NAME",
            0xc000_0203 => "STATUS_USER_SESSION_DELETED",
            _ => return None,
        })
    }
}

impl fmt::Display for NtStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "0x{:08X}", self.0),
        }
    }
}

impl Serialize for NtStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Which request a [`Denial`] answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// SESSION_SETUP (authentication).
    SessionSetup,
    /// TREE_CONNECT (a share).
    TreeConnect,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SessionSetup => "session setup",
            Self::TreeConnect => "tree connect",
        })
    }
}

/// A refused session setup or tree connect: an attempt, not an access.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Denial {
    /// What was refused.
    pub operation: Operation,
    /// The server's status.
    pub status: NtStatus,
    /// For a tree connect, the share path requested (when the request was seen).
    pub share: Option<String>,
}

/// A malformation that servers accept and exploit tools rely on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Anomaly {
    /// An SMB1 TREE_CONNECT_ANDX whose path or service string runs past
    /// ByteCount (EternalBlue and its derivatives send it so).
    Smb1TreeConnectOutsideByteCount,
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Smb1TreeConnectOutsideByteCount => {
                "SMB1 TREE_CONNECT_ANDX strings outside ByteCount"
            }
        })
    }
}

impl SmbFacts {
    pub(crate) fn for_service(service: Service) -> Self {
        let netbios = match service {
            Service::NetbiosSession => Some(NetbiosKind::Session),
            Service::NetbiosName => Some(NetbiosKind::Name),
            Service::NetbiosDatagram => Some(NetbiosKind::Datagram),
            _ => None,
        };
        Self {
            netbios,
            ..Self::default()
        }
    }

    /// The upper-cased last component of each share path (`ADMIN$`, `C$`,
    /// `IPC$`), which is what policies usually name.
    pub fn share_names(&self) -> impl Iterator<Item = String> + '_ {
        self.shares.iter().map(|path| {
            path.rsplit('\\')
                .next()
                .unwrap_or(path)
                .to_ascii_uppercase()
        })
    }

    /// One-line notes on what a reader must not miss, in a fixed order:
    /// SMB 3.1.1 compression (the CVE-2020-0796 "SMBGhost" attack surface),
    /// refused attempts, malformations. Empty for an unremarkable flow.
    #[must_use]
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.compressed {
            notes.push("SMB 3.1.1 compression (CVE-2020-0796 exposure)".to_owned());
        }
        for d in &self.denied {
            notes.push(match &d.share {
                Some(share) => format!("denied {} {share}: {}", d.operation, d.status),
                None => format!("denied {}: {}", d.operation, d.status),
            });
        }
        for a in &self.anomalies {
            notes.push(format!("malformed: {a}"));
        }
        notes
    }

    pub(crate) fn mark_encrypted(&mut self, update: impl FnOnce(&mut EncryptionEvidence)) {
        update(&mut self.encryption);
        self.encrypted = self.encryption.any();
    }

    pub(crate) fn add_share(&mut self, path: String) {
        push_unique(&mut self.shares, path);
    }

    pub(crate) fn add_pipe(&mut self, name: String) {
        push_unique(&mut self.pipes, name);
    }

    pub(crate) fn add_netbios_name(&mut self, name: String) {
        push_unique(&mut self.netbios_names, name);
    }

    pub(crate) fn add_anomaly(&mut self, anomaly: Anomaly) {
        if !self.anomalies.contains(&anomaly) {
            self.anomalies.push(anomaly);
        }
    }

    /// Records a SESSION_SETUP response status; a refusal is also a denial.
    pub(crate) fn session_setup_answered(&mut self, status: NtStatus) {
        if status == NtStatus::MORE_PROCESSING_REQUIRED {
            return;
        }
        self.session_setup_status = Some(status);
        if status != NtStatus::SUCCESS {
            self.add_denial(Operation::SessionSetup, status, None);
        }
    }

    pub(crate) fn add_denial(
        &mut self,
        operation: Operation,
        status: NtStatus,
        share: Option<String>,
    ) {
        let denial = Denial {
            operation,
            status,
            share,
        };
        if self.denied.len() < MAX_NAMES && !self.denied.contains(&denial) {
            self.denied.push(denial);
        }
    }
}

fn push_unique(list: &mut Vec<String>, mut item: String) {
    if item.is_empty() || list.len() >= MAX_NAMES {
        return;
    }
    if item.len() > MAX_NAME_LEN {
        let mut end = MAX_NAME_LEN;
        while !item.is_char_boundary(end) {
            end -= 1;
        }
        item.truncate(end);
    }
    if !list.iter().any(|x| x.eq_ignore_ascii_case(&item)) {
        list.push(item);
    }
}

#[cfg(test)]
mod tests {
    use super::{Anomaly, Dialect, NtStatus, Operation, SmbFacts};

    #[test]
    fn dialect_names_and_revisions() {
        assert_eq!(Dialect::from_revision(0x0311).to_string(), "3.1.1");
        assert_eq!(Dialect::from_revision(0x02ff), Dialect::Smb2Wildcard);
        assert_eq!(Dialect::from_revision(0x0222).to_string(), "0x0222");
        assert_eq!(Dialect::Smb1.revision(), None);
        assert!(Dialect::Smb302.is_smb3());
        assert!(!Dialect::Smb210.is_smb3());
        assert!(!Dialect::Smb2Wildcard.is_smb3());
        assert_eq!(serde_json::to_string(&Dialect::Smb210).unwrap(), "\"2.1\"");
    }

    #[test]
    fn shares_dedup_case_insensitively() {
        let mut f = SmbFacts::default();
        f.add_share(r"\\dc1\ADMIN$".into());
        f.add_share(r"\\DC1\admin$".into());
        f.add_share(r"\\dc1\IPC$".into());
        assert_eq!(f.shares.len(), 2);
        assert_eq!(f.share_names().collect::<Vec<_>>(), vec!["ADMIN$", "IPC$"]);
        for i in 0..100 {
            f.add_pipe(format!("{i}{}", "é".repeat(1000)));
        }
        assert_eq!(f.pipes.len(), super::MAX_NAMES);
        assert!(f.pipes.iter().all(|p| p.len() <= super::MAX_NAME_LEN));
    }

    #[test]
    fn notes_name_compression_denials_and_anomalies() {
        let mut f = SmbFacts::default();
        assert!(f.notes().is_empty());
        f.compressed = true;
        f.session_setup_answered(NtStatus::MORE_PROCESSING_REQUIRED);
        assert!(f.denied.is_empty(), "an interim leg is not a refusal");
        f.session_setup_answered(NtStatus(0xc000_006d));
        f.add_denial(
            Operation::TreeConnect,
            NtStatus(0xc000_1234),
            Some(r"\\h\C$".into()),
        );
        f.add_anomaly(Anomaly::Smb1TreeConnectOutsideByteCount);
        assert_eq!(
            f.notes(),
            vec![
                "SMB 3.1.1 compression (CVE-2020-0796 exposure)",
                "denied session setup: STATUS_LOGON_FAILURE",
                r"denied tree connect \\h\C$: 0xC0001234",
                "malformed: SMB1 TREE_CONNECT_ANDX strings outside ByteCount",
            ]
        );
    }
}
