//! Several captures or flow logs combined into one report: flows in
//! argument order, each remembering the capture it came from, counters
//! summed.

use crate::flow::FlowRecord;
use crate::report::Analysis;

/// Every capture's flows and counters, merged.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Merged {
    /// Capture display names, in the order they were added.
    pub captures: Vec<String>,
    /// Every flow, capture by capture, each capture's in its own order.
    pub flows: Vec<FlowRecord>,
    /// Index into `captures` for each flow.
    pub origin: Vec<usize>,
    /// Frames read (captures) plus lines read (flow logs).
    pub frames: u64,
    /// Input bytes read.
    pub bytes: u64,
    /// Warnings kept (suppressed ones not counted).
    pub warnings: usize,
    /// Inputs that could not be read at all, as (name, reason), in
    /// argument order: listed in the report, which covers the others.
    pub unreadable: Vec<(String, String)>,
}

impl Merged {
    /// Nothing merged yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one capture's analysis under `name`.
    pub fn add(&mut self, name: impl Into<String>, analysis: Analysis) {
        let index = self.captures.len();
        self.captures.push(name.into());
        self.warnings += analysis.warnings.len();
        self.frames += analysis.stats.frames + analysis.stats.log_lines;
        self.bytes += analysis.stats.bytes_read;
        self.origin
            .extend(std::iter::repeat_n(index, analysis.flows.len()));
        self.flows.extend(analysis.flows);
    }

    /// Records an input that could not be read at all.
    pub fn add_unreadable(&mut self, name: impl Into<String>, reason: impl Into<String>) {
        self.unreadable.push((name.into(), reason.into()));
    }

    /// The name of the capture flow `i` came from.
    #[must_use]
    pub fn capture_of(&self, i: usize) -> &str {
        self.origin
            .get(i)
            .and_then(|&c| self.captures.get(c))
            .map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Options;

    const CONN_LOG: &str = "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n1.0\tC1\t198.18.16.5\t50000\t198.18.0.10\t445\ttcp\n";

    #[test]
    fn merging_keeps_each_flow_s_capture_and_sums_counters() {
        let one = crate::analyze_bytes(CONN_LOG.as_bytes(), &Options::default()).unwrap();
        let (lines, bytes) = (one.stats.log_lines, one.stats.bytes_read);
        let mut merged = Merged::new();
        merged.add("a.log", one.clone());
        merged.add("b.log", one);
        assert_eq!(merged.captures, ["a.log", "b.log"]);
        assert_eq!(merged.flows.len(), 2);
        assert_eq!(merged.capture_of(0), "a.log");
        assert_eq!(merged.capture_of(1), "b.log");
        assert_eq!((merged.frames, merged.bytes), (2 * lines, 2 * bytes));
        assert_eq!(merged.capture_of(9), "");
    }
}
