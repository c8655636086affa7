//! Zeek `conn.log` (TSV with `#fields` header, or JSON lines) turned into
//! [`FlowRecord`]s. Flow logs carry no SMB detail: only addresses, ports,
//! times and counters; [`SmbFacts`](crate::SmbFacts) stays empty apart
//! from the NetBIOS service.

use std::net::IpAddr;

use serde::Deserialize;

use crate::capture::InputFormat;
use crate::error::{WarningKind, WarningSink};
use crate::flow::{FlowRecord, Initiator, L4Protocol, PortSet, RecordOrigin, Service};
use crate::report::{Analysis, Options, Stats};
use crate::timestamp::Timestamp;

/// Column positions from the `#fields` header.
#[derive(Clone, Debug, Default)]
struct Columns {
    ts: Option<usize>,
    uid: Option<usize>,
    service: Option<usize>,
    orig_h: Option<usize>,
    orig_p: Option<usize>,
    resp_h: Option<usize>,
    resp_p: Option<usize>,
    proto: Option<usize>,
    duration: Option<usize>,
    history: Option<usize>,
    orig_pkts: Option<usize>,
    resp_pkts: Option<usize>,
    orig_ip_bytes: Option<usize>,
    resp_ip_bytes: Option<usize>,
}

impl Columns {
    fn from_header(names: &[&str]) -> Self {
        let find = |name: &str| names.iter().position(|n| *n == name);
        Self {
            ts: find("ts"),
            uid: find("uid"),
            service: find("service"),
            orig_h: find("id.orig_h"),
            orig_p: find("id.orig_p"),
            resp_h: find("id.resp_h"),
            resp_p: find("id.resp_p"),
            proto: find("proto"),
            duration: find("duration"),
            history: find("history"),
            orig_pkts: find("orig_pkts"),
            resp_pkts: find("resp_pkts"),
            orig_ip_bytes: find("orig_ip_bytes"),
            resp_ip_bytes: find("resp_ip_bytes"),
        }
    }
}

/// One conn.log JSON object (fields this crate reads).
#[derive(Debug, Deserialize)]
struct JsonConn {
    ts: serde_json::Number,
    uid: Option<String>,
    service: Option<String>,
    #[serde(rename = "id.orig_h")]
    orig_h: IpAddr,
    #[serde(rename = "id.orig_p")]
    orig_p: u16,
    #[serde(rename = "id.resp_h")]
    resp_h: IpAddr,
    #[serde(rename = "id.resp_p")]
    resp_p: u16,
    proto: String,
    duration: Option<serde_json::Number>,
    history: Option<String>,
    orig_pkts: Option<u64>,
    resp_pkts: Option<u64>,
    orig_ip_bytes: Option<u64>,
    resp_ip_bytes: Option<u64>,
}

/// One connection, whichever format it came from.
#[derive(Debug)]
struct Conn<'a> {
    ts: Timestamp,
    uid: Option<&'a str>,
    service: &'a str,
    duration_nanos: u64,
    orig: (IpAddr, u16),
    resp: (IpAddr, u16),
    protocol: L4Protocol,
    history: &'a str,
    orig_pkts: u64,
    resp_pkts: u64,
    orig_ip_bytes: u64,
    resp_ip_bytes: u64,
}

/// Line-by-line conn.log reader.
#[derive(Debug)]
pub(crate) struct ConnLogReader {
    format: InputFormat,
    ports: PortSet,
    separator: u8,
    columns: Option<Columns>,
    records: Vec<FlowRecord>,
    warnings: WarningSink,
    lines: u64,
    /// Keep TCP connections on untracked ports too (as
    /// [`Service::DceRpc`] candidates), for a join with `dce_rpc.log`.
    keep_untracked: bool,
    /// Per record: its uid, and whether it is such a candidate.
    joins: Vec<ConnJoin>,
}

/// What a Zeek log join needs to know of one kept conn.log record.
#[derive(Clone, Debug, Default)]
pub(crate) struct ConnJoin {
    /// The connection's `uid`.
    pub(crate) uid: Option<String>,
    /// On an untracked port: kept only if another log says it is RPC.
    pub(crate) untracked: bool,
    /// conn.log's `service` field (`smb,gssapi`, `dce_rpc`).
    pub(crate) service: String,
}

impl ConnLogReader {
    pub(crate) fn new(format: InputFormat, options: &Options) -> Self {
        Self {
            format,
            ports: PortSet {
                quic: options.track_quic,
                smb_direct: options.track_smb_direct,
            },
            separator: b'\t',
            columns: None,
            records: Vec::new(),
            warnings: WarningSink::default(),
            lines: 0,
            keep_untracked: false,
            joins: Vec::new(),
        }
    }

    /// A reader for a Zeek log join: untracked TCP connections are kept.
    pub(crate) fn for_join(format: InputFormat, options: &Options) -> Self {
        Self {
            keep_untracked: true,
            ..Self::new(format, options)
        }
    }

    /// Reads one line (terminator included or not).
    pub(crate) fn line(&mut self, raw: &[u8], offset: u64) {
        self.lines += 1;
        let line = raw.strip_suffix(b"\n").unwrap_or(raw);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let result = match self.format {
            InputFormat::ZeekConnJson => self.json_line(line),
            _ => self.tsv_line(line),
        };
        if let Err(reason) = result {
            let line = self.lines;
            self.warnings
                .push(offset, WarningKind::BadLogLine { line, reason });
        }
    }

    fn json_line(&mut self, line: &[u8]) -> Result<(), &'static str> {
        let c: JsonConn = serde_json::from_slice(line).map_err(|_| "not a conn.log JSON object")?;
        let conn = Conn {
            ts: Timestamp::parse_decimal_secs(&c.ts.to_string()).ok_or("bad ts")?,
            uid: c.uid.as_deref(),
            service: c.service.as_deref().unwrap_or(""),
            duration_nanos: c
                .duration
                .and_then(|d| Timestamp::parse_decimal_secs(&d.to_string()))
                .map_or(0, Timestamp::as_nanos),
            orig: (c.orig_h, c.orig_p),
            resp: (c.resp_h, c.resp_p),
            protocol: protocol(&c.proto).ok_or("proto is not tcp or udp")?,
            history: c.history.as_deref().unwrap_or(""),
            orig_pkts: c.orig_pkts.unwrap_or(0),
            resp_pkts: c.resp_pkts.unwrap_or(0),
            orig_ip_bytes: c.orig_ip_bytes.unwrap_or(0),
            resp_ip_bytes: c.resp_ip_bytes.unwrap_or(0),
        };
        self.push(&conn);
        Ok(())
    }

    fn tsv_line(&mut self, line: &[u8]) -> Result<(), &'static str> {
        let text = std::str::from_utf8(line).map_err(|_| "not UTF-8")?;
        if let Some(directive) = text.strip_prefix('#') {
            return self.directive(directive);
        }
        let columns = self
            .columns
            .as_ref()
            .ok_or("data before the #fields header")?;
        let fields: Vec<&str> = text.split(char::from(self.separator)).collect();
        let get = |col: Option<usize>| {
            col.and_then(|i| fields.get(i))
                .copied()
                .filter(|v| *v != "-")
        };
        let addr = |col| get(col).and_then(|v: &str| v.parse::<IpAddr>().ok());
        let port = |col| get(col).and_then(|v: &str| v.parse::<u16>().ok());
        let count = |col| {
            get(col)
                .and_then(|v: &str| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let conn = Conn {
            ts: get(columns.ts)
                .and_then(Timestamp::parse_decimal_secs)
                .ok_or("bad ts")?,
            uid: get(columns.uid),
            service: get(columns.service).unwrap_or(""),
            duration_nanos: get(columns.duration)
                .and_then(Timestamp::parse_decimal_secs)
                .map_or(0, Timestamp::as_nanos),
            orig: (
                addr(columns.orig_h).ok_or("bad id.orig_h")?,
                port(columns.orig_p).ok_or("bad id.orig_p")?,
            ),
            resp: (
                addr(columns.resp_h).ok_or("bad id.resp_h")?,
                port(columns.resp_p).ok_or("bad id.resp_p")?,
            ),
            protocol: get(columns.proto)
                .and_then(protocol)
                .ok_or("proto is not tcp or udp")?,
            history: get(columns.history).unwrap_or(""),
            orig_pkts: count(columns.orig_pkts),
            resp_pkts: count(columns.resp_pkts),
            orig_ip_bytes: count(columns.orig_ip_bytes),
            resp_ip_bytes: count(columns.resp_ip_bytes),
        };
        self.push(&conn);
        Ok(())
    }

    fn directive(&mut self, directive: &str) -> Result<(), &'static str> {
        if let Some(value) = directive.strip_prefix("separator ") {
            self.separator = parse_separator(value.trim()).ok_or("bad #separator")?;
        } else if let Some(names) = directive.strip_prefix("fields") {
            let sep = char::from(self.separator);
            let names: Vec<&str> = names.trim_start_matches(sep).split(sep).collect();
            let columns = Columns::from_header(&names);
            if columns.ts.is_none() || columns.orig_h.is_none() || columns.resp_p.is_none() {
                return Err("#fields lacks ts/id.* columns: not a conn.log");
            }
            self.columns = Some(columns);
        }
        Ok(())
    }

    /// Keeps the connection if it involves a tracked port.
    fn push(&mut self, c: &Conn<'_>) {
        let resp_service = Service::from_port(c.protocol, c.resp.1, self.ports);
        let orig_service = Service::from_port(c.protocol, c.orig.1, self.ports);
        // Zeek's originator is the SYN sender when history has 'S'; without
        // it, and with only the originator on a service port, Zeek guessed
        // and the port is the better witness.
        let swap = resp_service.is_none() && orig_service.is_some() && !c.history.contains('S');
        let untracked = resp_service.is_none() && orig_service.is_none();
        let Some(service) = resp_service.or(orig_service).or_else(|| {
            (self.keep_untracked && c.protocol == L4Protocol::Tcp).then_some(Service::DceRpc)
        }) else {
            return;
        };
        let (client, server, initiator) = if swap {
            (c.resp, c.orig, Initiator::ServicePort)
        } else {
            (c.orig, c.resp, Initiator::FlowLog)
        };
        let mut r = FlowRecord::new(service, client, server, initiator, c.ts);
        r.last_seen = c.ts.saturating_add_nanos(c.duration_nanos);
        let (to_server, to_client) = if swap {
            (
                (c.resp_pkts, c.resp_ip_bytes),
                (c.orig_pkts, c.orig_ip_bytes),
            )
        } else {
            (
                (c.orig_pkts, c.orig_ip_bytes),
                (c.resp_pkts, c.resp_ip_bytes),
            )
        };
        (r.packets_to_server, r.bytes_to_server) = to_server;
        (r.packets_to_client, r.bytes_to_client) = to_client;
        r.origin = RecordOrigin::ZeekConnLog;
        self.records.push(r);
        if self.keep_untracked {
            self.joins.push(ConnJoin {
                uid: c.uid.map(str::to_owned),
                untracked,
                service: c.service.to_owned(),
            });
        }
    }

    /// The records, their join keys (empty unless made by
    /// [`ConnLogReader::for_join`]), warnings and lines read.
    pub(crate) fn into_join_parts(self) -> (Vec<FlowRecord>, Vec<ConnJoin>, WarningSink, u64) {
        (self.records, self.joins, self.warnings, self.lines)
    }

    pub(crate) fn finish(self, bytes_read: u64) -> Analysis {
        let stats = Stats {
            bytes_read,
            log_lines: self.lines,
            ..Stats::default()
        };
        Analysis::new(Some(self.format), self.records, self.warnings, stats)
    }
}

fn protocol(name: &str) -> Option<L4Protocol> {
    match name {
        "tcp" => Some(L4Protocol::Tcp),
        "udp" => Some(L4Protocol::Udp),
        _ => None,
    }
}

/// `#separator` values are written escaped, e.g. `\x09`.
fn parse_separator(value: &str) -> Option<u8> {
    match value.strip_prefix("\\x") {
        Some(hex) => u8::from_str_radix(hex, 16).ok(),
        None => value.bytes().next().filter(|_| value.len() == 1),
    }
}

#[cfg(test)]
mod tests;
