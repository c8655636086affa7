//! Zeek logs from one sensor or many, joined by `uid`: `conn.log` gives
//! the connections, `smb_mapping.log` and `smb_files.log` the shares and
//! pipes, `dce_rpc.log` the RPC interfaces and operations, `ntlm.log` the
//! NTLM authentications, so the output of a Zeek cluster is judged like a
//! capture. What Zeek does not log (the SMB dialect, encryption, signing)
//! stays unknown.
//!
//! `log_records.rs` splits lines into fields (TSV or JSON); this module
//! recognises each log and joins them. A `uid` seen only in a detail log
//! (a sensor that does not write conn.log) still becomes a flow, from the
//! detail line's `id.*` fields.

mod log_records;

use std::collections::BTreeMap;
use std::io::Read;
use std::net::IpAddr;

use log_records::{Fields, Line, TsvHeader, parse_json_line, parse_tsv_line};

use crate::capture::InputFormat;
use crate::dcerpc::{RpcFacts, interface_by_name, opnum_by_name};
use crate::decompress::maybe_decompress;
use crate::error::{TrafficError, WarningKind, WarningSink};
use crate::flow::{FlowRecord, Initiator, L4Protocol, PortSet, RecordOrigin, Service};
use crate::report::{Analysis, Options, Stats};
use crate::smb::SmbFacts;
use crate::timestamp::Timestamp;
use crate::zeek_conn::{ConnJoin, ConnLogReader};

/// The Zeek logs this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ZeekLog {
    /// `conn.log`: every connection.
    Conn,
    /// `smb_mapping.log`: tree connects (share paths).
    SmbMapping,
    /// `smb_files.log`: files and pipes opened.
    SmbFiles,
    /// `dce_rpc.log`: RPC operations (over SMB pipes or TCP).
    DceRpc,
    /// `ntlm.log`: NTLM authentications.
    Ntlm,
}

impl ZeekLog {
    fn from_path(path: &str) -> Option<Self> {
        Some(match path {
            "conn" => Self::Conn,
            "smb_mapping" => Self::SmbMapping,
            "smb_files" => Self::SmbFiles,
            "dce_rpc" => Self::DceRpc,
            "ntlm" => Self::Ntlm,
            _ => return None,
        })
    }

    /// A JSON line without `_path`: told by the fields only that log has.
    fn from_fields(f: &Fields) -> Option<Self> {
        let has = |k: &str| f.contains_key(k);
        if let Some(path) = f.get("_path") {
            return Self::from_path(path);
        }
        Some(
            if has("conn_state") || has("orig_ip_bytes") || has("history") {
                Self::Conn
            } else if has("share_type") || has("native_file_system") {
                Self::SmbMapping
            } else if has("fuid") || has("action") {
                Self::SmbFiles
            } else if has("endpoint") || has("operation") {
                Self::DceRpc
            } else if has("username") || has("server_nb_computer_name") || has("domainname") {
                Self::Ntlm
            } else {
                return None;
            },
        )
    }
}

/// A connection as a detail line names it: time, originator, responder.
type ConnId = (Timestamp, (IpAddr, u16), (IpAddr, u16));

/// What the detail logs say about one `uid`.
#[derive(Debug, Default)]
struct Detail {
    /// The first detail line's connection, for a uid without conn.log.
    conn: Option<ConnId>,
    shares: Vec<String>,
    pipes: Vec<String>,
    /// (endpoint, operation) from dce_rpc.log.
    rpc: Vec<(String, Option<String>)>,
    ntlm: bool,
}

/// Zeek logs joined by `uid`: add every file, then [`ZeekLogSet::finish`].
#[derive(Debug)]
pub struct ZeekLogSet {
    options: Options,
    records: Vec<FlowRecord>,
    joins: Vec<ConnJoin>,
    details: BTreeMap<String, Detail>,
    warnings: WarningSink,
    lines: u64,
    bytes: u64,
}

impl ZeekLogSet {
    /// No logs yet.
    #[must_use]
    pub fn new(options: &Options) -> Self {
        Self {
            options: options.clone(),
            records: Vec::new(),
            joins: Vec::new(),
            details: BTreeMap::new(),
            warnings: WarningSink::default(),
            lines: 0,
            bytes: 0,
        }
    }

    /// Whether the first bytes of an input (a few KiB for a compressed
    /// one) look like a Zeek log (TSV header or a JSON object), as opposed
    /// to a capture. gzip and zstd are looked through.
    #[must_use]
    pub fn looks_like_log(prefix: &[u8]) -> bool {
        let mut head = [0u8; 64];
        let mut filled = 0;
        if let Ok(mut reader) = maybe_decompress(prefix) {
            // A cut compressed stream ends in an error: keep what came before.
            while filled < head.len() {
                match reader.read(&mut head[filled..]) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => filled += n,
                }
            }
        }
        matches!(
            InputFormat::sniff(&head[..filled]),
            Some(InputFormat::ZeekConnTsv | InputFormat::ZeekConnJson)
        )
    }

    /// Adds one log (plain, gzip or zstd), from any sensor.
    ///
    /// # Errors
    ///
    /// I/O errors, and [`TrafficError::UnsupportedZeekLog`] for a log this
    /// crate does not read. Bad lines are warnings, not errors.
    pub fn add(&mut self, reader: impl Read) -> Result<ZeekLog, TrafficError> {
        let mut text = Vec::new();
        maybe_decompress(reader)?.read_to_end(&mut text)?;
        self.bytes += text.len() as u64;
        let text = String::from_utf8_lossy(&text);
        let json = text.trim_start().starts_with('{');
        let kind = if json {
            text.lines()
                .find_map(|l| match parse_json_line(l) {
                    Ok(Line::Record(f)) => Some(ZeekLog::from_fields(&f)),
                    _ => None,
                })
                .flatten()
        } else {
            let mut header = TsvHeader::default();
            text.lines()
                .take_while(|l| l.starts_with('#') || l.trim().is_empty())
                .for_each(|l| drop(parse_tsv_line(&mut header, l)));
            header.path.as_deref().and_then(ZeekLog::from_path)
        };
        let Some(kind) = kind else {
            return Err(TrafficError::UnsupportedZeekLog {
                path: text.lines().find(|l| l.starts_with("#path")).map_or_else(
                    || "fields of no log smbguard reads".to_owned(),
                    |l| l.trim_start_matches("#path").trim().to_owned(),
                ),
            });
        };
        if kind == ZeekLog::Conn {
            self.add_conn(&text, json);
        } else {
            self.add_detail(kind, &text, json);
        }
        Ok(kind)
    }

    fn add_conn(&mut self, text: &str, json: bool) {
        let format = if json {
            InputFormat::ZeekConnJson
        } else {
            InputFormat::ZeekConnTsv
        };
        let mut reader = ConnLogReader::for_join(format, &self.options);
        let mut offset = 0u64;
        for line in text.split_inclusive('\n') {
            reader.line(line.as_bytes(), offset);
            offset += line.len() as u64;
        }
        let (records, joins, warnings, lines) = reader.into_join_parts();
        self.records.extend(records);
        self.joins.extend(joins);
        self.lines += lines;
        let (warnings, suppressed) = warnings.into_parts();
        for w in warnings {
            self.warnings.push(w.offset, w.kind);
        }
        self.warnings.add_suppressed(suppressed);
    }

    fn add_detail(&mut self, kind: ZeekLog, text: &str, json: bool) {
        let mut header = TsvHeader::default();
        let mut offset = 0u64;
        for (n, line) in text.split_inclusive('\n').enumerate() {
            self.lines += 1;
            let trimmed = line.trim_end_matches(['\n', '\r']);
            let parsed = if json {
                parse_json_line(trimmed)
            } else {
                parse_tsv_line(&mut header, trimmed)
            };
            let result = parsed.and_then(|l| match l {
                Line::Header => Ok(()),
                Line::Record(f) => self.detail_line(kind, &f),
            });
            if let Err(reason) = result {
                let line = n as u64 + 1;
                self.warnings
                    .push(offset, WarningKind::BadLogLine { line, reason });
            }
            offset += line.len() as u64;
        }
    }

    fn detail_line(&mut self, kind: ZeekLog, f: &Fields) -> Result<(), &'static str> {
        let uid = f.get("uid").ok_or("no uid")?;
        let detail = self.details.entry(uid.clone()).or_default();
        if detail.conn.is_none() {
            detail.conn = conn_of(f);
        }
        let get = |k: &str| f.get(k).filter(|v| !v.is_empty());
        match kind {
            ZeekLog::SmbMapping => {
                if let Some(path) = get("path") {
                    push_unique(&mut detail.shares, path.clone());
                }
            }
            ZeekLog::SmbFiles => {
                let on_ipc =
                    get("path").is_some_and(|p| p.to_ascii_uppercase().ends_with("\\IPC$"));
                if let Some(path) = get("path") {
                    push_unique(&mut detail.shares, path.clone());
                }
                if let (true, Some(name)) = (on_ipc, get("name")) {
                    push_unique(&mut detail.pipes, pipe_name(name));
                }
            }
            ZeekLog::DceRpc => {
                // On TCP, Zeek puts the bind_ack's secondary address (a
                // port number) in named_pipe: only SMB has pipes.
                let over_smb =
                    matches!(f.get("id.resp_p").map(String::as_str), Some("445" | "139"));
                if let (true, Some(pipe)) = (over_smb, get("named_pipe")) {
                    push_unique(&mut detail.pipes, pipe_name(pipe));
                }
                let endpoint = get("endpoint").ok_or("no endpoint")?.clone();
                let call = (endpoint, get("operation").cloned());
                if !detail.rpc.contains(&call) {
                    detail.rpc.push(call);
                }
            }
            ZeekLog::Ntlm => detail.ntlm = true,
            ZeekLog::Conn => {}
        }
        Ok(())
    }

    /// The joined flows, sorted like a capture's.
    #[must_use]
    pub fn finish(mut self) -> Analysis {
        let ports = PortSet {
            quic: self.options.track_quic,
            smb_direct: self.options.track_smb_direct,
        };
        let mut flows = Vec::new();
        for (mut record, join) in self.records.into_iter().zip(self.joins) {
            let detail = join.uid.as_ref().and_then(|u| self.details.remove(u));
            let rpc_by_name = join.service.split(',').any(|s| s == "dce_rpc");
            let has_rpc = detail.as_ref().is_some_and(|d| !d.rpc.is_empty());
            if join.untracked && !(has_rpc || rpc_by_name) {
                continue;
            }
            if let Some(d) = detail {
                apply(&mut record, &d);
            }
            flows.push(record);
        }
        // Detail lines whose connection no conn.log listed.
        for d in self.details.into_values() {
            if let Some(record) = record_of(&d, ports) {
                flows.push(record);
            }
        }
        let stats = Stats {
            bytes_read: self.bytes,
            log_lines: self.lines,
            ..Stats::default()
        };
        Analysis::new(None, flows, self.warnings, stats)
    }
}

/// The connection a detail line names (`ts`, `id.*`).
fn conn_of(f: &Fields) -> Option<ConnId> {
    let ts = Timestamp::parse_decimal_secs(f.get("ts")?)?;
    let addr = |k: &str| f.get(k)?.parse::<IpAddr>().ok();
    let port = |k: &str| f.get(k)?.parse::<u16>().ok();
    Some((
        ts,
        (addr("id.orig_h")?, port("id.orig_p")?),
        (addr("id.resp_h")?, port("id.resp_p")?),
    ))
}

/// A flow from detail lines alone (SMB, or RPC on any TCP port).
fn record_of(d: &Detail, ports: PortSet) -> Option<FlowRecord> {
    let (ts, orig, resp) = d.conn?;
    let service = Service::from_port(L4Protocol::Tcp, resp.1, ports)
        .or_else(|| (!d.rpc.is_empty()).then_some(Service::DceRpc))?;
    let mut r = FlowRecord::new(service, orig, resp, Initiator::FlowLog, ts);
    r.origin = RecordOrigin::ZeekConnLog;
    apply(&mut r, d);
    Some(r)
}

/// Puts what the detail logs say into a flow: SMB facts on SMB flows, RPC
/// facts on RPC flows (dce_rpc.log lines on an SMB connection are pipes).
fn apply(r: &mut FlowRecord, d: &Detail) {
    let smb: &mut SmbFacts = &mut r.smb;
    for s in &d.shares {
        smb.add_share(s.clone());
    }
    for p in &d.pipes {
        smb.add_pipe(p.clone());
    }
    smb.ntlm |= d.ntlm;
    if r.service.carries_dcerpc() {
        apply_rpc(&mut r.rpc, &d.rpc);
    } else {
        for (endpoint, _) in &d.rpc {
            if !endpoint.starts_with("unknown-") {
                smb.add_pipe(endpoint.to_ascii_lowercase());
            }
        }
    }
}

/// dce_rpc.log names interfaces (`svcctl`, or `unknown-<uuid>`) and
/// operations (`CreateServiceW`, or `unknown-<n>`): back to binds and
/// opnums.
fn apply_rpc(rpc: &mut RpcFacts, calls: &[(String, Option<String>)]) {
    for (endpoint, operation) in calls {
        let Some((uuid, major, minor)) = interface_by_name(endpoint) else {
            continue;
        };
        let index = rpc.bind(uuid, major, minor);
        if let Some(i) = index {
            rpc.answer(i, true);
        }
        if let Some(opnum) = operation
            .as_deref()
            .and_then(|o| opnum_by_name(endpoint, o))
        {
            rpc.call(index, opnum);
        }
    }
}

fn pipe_name(name: &str) -> String {
    let name = name.trim_start_matches('\\');
    let lower = name.to_ascii_lowercase();
    lower
        .strip_prefix("pipe\\")
        .map_or(lower.clone(), str::to_owned)
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if list.len() < 64 && !list.iter().any(|x| x.eq_ignore_ascii_case(&item)) {
        list.push(item);
    }
}

#[cfg(test)]
mod tests;
