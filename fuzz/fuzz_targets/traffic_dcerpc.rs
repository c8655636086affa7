//! DCE/RPC over TCP and the Zeek log join of smbguard-traffic: arbitrary
//! bytes as RPC segments and as a Zeek log (format described at
//! `smbguard_traffic::fuzzing::dcerpc_and_zeek_logs`). Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| smbguard_traffic::fuzzing::dcerpc_and_zeek_logs(data));
