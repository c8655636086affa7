//! SMB/NetBIOS dissectors of smbguard-traffic: arbitrary bytes as NBNS and
//! NBDGM payloads and as TCP segments of an NBSS stream (format described
//! at `smbguard_traffic::fuzzing::smb_stream`). Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| smbguard_traffic::fuzzing::smb_stream(data));
