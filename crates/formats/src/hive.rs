//! `.wfw` files, written by `netsh advfirewall export`: a registry hive
//! (`regf`) whose root key holds the local store's keys (`FirewallRules`,
//! `ConSecRules`, `DomainProfile`, ...), read with the `notatin` crate.
//!
//! [`read_wfw`] returns every value as a [`RegistryEntry`] placed under
//! [`LOCAL_STORE_KEY`], so that a `.wfw` file, a `.reg` export of the same
//! keys and the collector's registry read give the same entry list (and
//! [`crate::firewall_store::classify`] calls it the local store).
//!
//! notatin 1.0.1 is written for nom 7 but declares `nom >= 6`; the workspace
//! lock pins its nom to 7.1.3 (see the root `Cargo.toml`). It is a forensic
//! parser meant for damaged hives; as a safety net a panic inside it is still
//! caught and reported as [`ErrorKind::Hive`].

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use notatin::parser_builder::ParserBuilder;
use serde::Serialize;

use crate::firewall_store::LOCAL_STORE_KEY;
use crate::registry_pol::{RegData, RegType, RegistryEntry};
use crate::{Error, ErrorKind, Location};

/// A `.wfw` file read by [`read_wfw`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WfwFile {
    /// The name of the hive's root key (as `netsh` wrote it).
    pub root_name: String,
    /// Every value, keys placed under [`LOCAL_STORE_KEY`], in hive order
    /// (keys depth first, values in each key's order).
    pub entries: Vec<RegistryEntry>,
}

/// Reads a `.wfw` file (a `regf` hive).
///
/// # Errors
/// [`ErrorKind::Hive`] at [`Location::Hive`] when the bytes are not a hive
/// notatin can open.
pub fn read_wfw(bytes: &[u8]) -> Result<WfwFile, Error> {
    if bytes.get(..4) != Some(b"regf".as_slice()) {
        return Err(hive_error("", "no `regf` signature".to_owned()));
    }
    let owned = bytes.to_vec();
    catch_unwind(AssertUnwindSafe(|| read_hive(owned)))
        .unwrap_or_else(|_| Err(hive_error("", "the hive parser failed".to_owned())))
}

fn read_hive(bytes: Vec<u8>) -> Result<WfwFile, Error> {
    let mut builder = ParserBuilder::from_file(Cursor::new(bytes));
    builder.recover_deleted(false);
    let parser = builder.build().map_err(|e| hive_error("", e.to_string()))?;
    let mut root_name = String::new();
    let mut entries = Vec::new();
    for node in notatin::parser::ParserIterator::new(&parser).iter() {
        let path = node.path.trim_start_matches('\\');
        let (root, below) = path.split_once('\\').unwrap_or((path, ""));
        if root_name.is_empty() {
            root.clone_into(&mut root_name);
        }
        let key = if below.is_empty() {
            LOCAL_STORE_KEY.to_owned()
        } else {
            format!(r"{LOCAL_STORE_KEY}\{below}")
        };
        for value in node.value_iter() {
            let kind = RegType::from_code(value.detail.data_type_raw());
            let bytes = value.detail.value_bytes().unwrap_or_default();
            entries.push(RegistryEntry {
                key: key.clone(),
                value: value.detail.value_name(),
                kind,
                data: RegData::decode(kind, &bytes),
            });
        }
    }
    Ok(WfwFile { root_name, entries })
}

fn hive_error(key: &str, message: String) -> Error {
    Error::new(
        Location::Hive {
            key: key.to_owned(),
        },
        ErrorKind::Hive(crate::error::clip(&message)),
    )
}
