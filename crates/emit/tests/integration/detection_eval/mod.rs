//! Small evaluators of the detection languages smbguard emits (only the
//! subset it writes: anything else is a test failure, so a new construct
//! in an emitter needs its meaning here too).
#![allow(unreachable_pub)]

pub mod sigma;
pub mod suricata;
pub mod zeek;
