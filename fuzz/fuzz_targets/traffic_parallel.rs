//! The parallel engine of smbguard-traffic on arbitrary input, with window
//! sizes taken from the input's first bytes (a few bytes to a few KiB, so
//! that boundary guesses land everywhere): flows, warnings and counters
//! must equal one thread's, in memory and streamed.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| smbguard_traffic::fuzzing::parallel(data));
