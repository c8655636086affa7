//! Samba's independent Registry.pol parser as an oracle: one dump script
//! ([`SCRIPT`]) and one rendering of smbguard's own reading ([`view`]) in the
//! same line format, so the cross-checks in `formats` and `emit` compare like
//! with like (the two private copies had drifted: one lacked the QWORD,
//! big-endian DWORD and REG_NONE cases).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use smbguard_formats::registry_pol::{RegData, RegType, RegistryEntry};

/// The interpreter with python3-samba (Debian's, not a virtualenv's).
pub const PYTHON: &str = "/usr/bin/python3";

/// The dump script (see the file's header for the line format).
pub const SCRIPT: &str = include_str!("preg_dump.py");

/// Whether Samba's preg module is importable. Otherwise SKIPPED, or a
/// failure under `SMBGUARD_REQUIRE_TOOLS=1`.
pub fn available() -> bool {
    crate::tools::python_has(PYTHON, "samba.dcerpc.preg")
        || crate::tools::missing(&format!(
            "python3-samba not installed (`{PYTHON} -c 'from samba.dcerpc import preg'` failed)"
        ))
}

/// Samba's reading of the Registry.pol file at `path`, one line an entry;
/// `Err` with Samba's stderr when it refuses the file.
pub fn dump_file(path: &Path) -> Result<Vec<String>, String> {
    let out = Command::new(PYTHON)
        .args(["-c", SCRIPT])
        .arg(path)
        .output()
        .map_err(|e| format!("run {PYTHON}: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8(out.stdout).map_err(|e| e.to_string())?;
    Ok(text.lines().map(str::to_owned).collect())
}

/// Samba's reading of `bytes` (written to a scratch file first).
pub fn dump(bytes: &[u8]) -> Result<Vec<String>, String> {
    let file = crate::scratch_dir("preg").join("registry.pol");
    std::fs::write(&file, bytes).map_err(|e| e.to_string())?;
    let result = dump_file(&file);
    let _ = std::fs::remove_dir_all(file.parent().expect("scratch dir"));
    result
}

/// Lower-case hex of `bytes` (the dump script's encoding of names and data).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// smbguard's reading of one entry in the dump script's line format:
/// strings for REG_SZ/EXPAND_SZ, integers for the DWORD (both byte orders)
/// and QWORD types, `none` for an empty REG_NONE, raw bytes otherwise.
pub fn view(e: &RegistryEntry) -> String {
    let payload = match (&e.kind, &e.data) {
        (RegType::Sz | RegType::ExpandSz, RegData::String(s)) => format!("s:{}", hex(s.as_bytes())),
        (RegType::Dword | RegType::DwordBigEndian, RegData::Dword(v)) => format!("i:{v}"),
        (RegType::Qword, RegData::Qword(v)) => format!("i:{v}"),
        (RegType::None, RegData::Bytes(b)) if b.is_empty() => "none".to_owned(),
        _ => format!("b:{}", hex(&e.data_bytes())),
    };
    format!(
        "{}\t{}\t{}\t{payload}",
        hex(e.key.as_bytes()),
        hex(e.value.as_bytes()),
        e.kind.code()
    )
}
