//! Counters and warnings of one analysis, kept in input order whether the
//! frames were read on one thread or many. Shared by the frame engine
//! (`analyzer`) and the parallel drivers, which feed it window by window.

use crate::capture::LinkType;
use crate::decode::{DecodeTally, is_supported_link};
use crate::error::{Warning, WarningKind, WarningSink};
use crate::parallel::WindowOutcome;
use crate::report::Stats;

/// Distinct unsupported link types warned about.
const MAX_LINK_WARNINGS: usize = 16;

/// Counters and warnings, kept in input order whatever the engine.
#[derive(Debug, Default)]
pub(crate) struct Bookkeeping {
    pub(crate) stats: Stats,
    pub(crate) tally: DecodeTally,
    pub(crate) warnings: WarningSink,
    warned_links: Vec<LinkType>,
}

impl Bookkeeping {
    pub(crate) fn warning(&mut self, offset: u64, kind: WarningKind) {
        self.warnings.push(offset, kind);
    }

    /// Warns about the first frames of each unsupported link type.
    pub(crate) fn unsupported_link(&mut self, offset: u64, link: LinkType) {
        if !is_supported_link(link)
            && !self.warned_links.contains(&link)
            && self.warned_links.len() < MAX_LINK_WARNINGS
        {
            self.warned_links.push(link);
            let link_type = link.0;
            self.warning(offset, WarningKind::UnsupportedLinkType { link_type });
        }
    }

    /// Accounts one window processed in parallel: counters added, warnings
    /// from framing and decoding merged back into input order.
    pub(crate) fn apply_window(&mut self, outcome: WindowOutcome) {
        for part in outcome.parts {
            self.stats.frames += part.frames;
            self.tally.add(&part.tally);
            let (record_warnings, suppressed) = part.record_warnings.into_parts();
            let mut links = part.unsupported_links.into_iter().peekable();
            for Warning { offset, kind } in record_warnings {
                while let Some((at, link)) = links.next_if(|&(at, _)| at < offset) {
                    self.unsupported_link(at, link);
                }
                self.warning(offset, kind);
            }
            for (at, link) in links {
                self.unsupported_link(at, link);
            }
            // The part kept as many warnings as the sink does, so these came
            // after the sink was full: only their number matters.
            self.warnings.add_suppressed(suppressed);
        }
        if let Some(Warning { offset, kind }) = outcome.stop {
            self.warning(offset, kind);
        }
    }
}
