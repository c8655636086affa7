//! Capture readers (pcap, pcapng, Zeek conn.log) of smbguard-traffic on
//! arbitrary input: must never panic, and the in-memory and streaming
//! readers must agree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| smbguard_traffic::fuzzing::capture(data));
