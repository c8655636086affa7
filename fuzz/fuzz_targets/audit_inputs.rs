//! Fuzz target: the audit's input readers (`.reg`, `.wfw`, Get-NetFirewallRule
//! CSV and JSON, `testparm -s`) never panic on any bytes, report line numbers
//! inside the input, and whatever `.reg`/`.wfw` entries they return go through
//! store classification and the MS-GPFAS interpreter without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smbguard_formats::Location;
use smbguard_formats::firewall_store::{FirewallStore, store_entries};
use smbguard_formats::gpfas::FirewallPolicy;
use smbguard_formats::hive::read_wfw;
use smbguard_formats::netfw_export::{read_netfw_csv, read_netfw_json};
use smbguard_formats::reg_file::read_reg_file;
use smbguard_formats::registry_pol::RegistryEntry;
use smbguard_formats::smb_conf::read_smb_conf;

const STORES: [FirewallStore; 5] = [
    FirewallStore::GroupPolicy,
    FirewallStore::Mdm,
    FirewallStore::Local,
    FirewallStore::ServiceHardening,
    FirewallStore::Defaults,
];

fn interpret(entries: &[RegistryEntry]) {
    for store in STORES {
        let _ = FirewallPolicy::from_registry(&store_entries(entries, store));
    }
}

fn line_inside(location: &Location, max: usize) {
    if let Location::Line { line } = location {
        assert!(*line >= 1 && *line <= max.max(1), "line {line} of {max}");
    }
}

fuzz_target!(|data: &[u8]| {
    // An upper bound on the line count of any decoding of `data`.
    let max_lines = data.len() + 1;
    match read_reg_file(data, 1252) {
        Ok(file) => {
            for e in &file.skipped {
                line_inside(e.location(), max_lines);
            }
            interpret(&file.entries());
        }
        Err(e) => line_inside(e.location(), max_lines),
    }
    if let Ok(file) = read_wfw(data) {
        interpret(&file.entries);
    }
    let _ = read_netfw_csv(data, 932);
    let _ = read_netfw_json(data);
    if let Ok(conf) = read_smb_conf(data, 1252) {
        for e in &conf.skipped {
            line_inside(e.location(), max_lines);
        }
    }
});
