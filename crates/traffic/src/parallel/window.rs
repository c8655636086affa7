//! Windows: a run of a capture framed by several threads at once.
//!
//! Records are found only by reading the length of the one before (pcap has
//! no sync marker; pcapng interfaces are declared earlier in the file), so
//! a window is framed *speculatively*: it is cut into byte ranges, and each
//! thread guesses the first record boundary in its range
//! ([`FrameStepper::resync`]), then frames and decodes from there, assuming
//! the state the window started in. The guesses are then confirmed in
//! order: a part is kept only if it started exactly where the part before
//! it ended, from the state that part left. A part that fails (a wrong
//! guess, or a new pcapng section or interface before it) is framed again
//! from the confirmed boundary and state. Real captures almost never fail
//! a guess; adversarial ones cost sequential speed, never correctness.

use rayon::prelude::{IntoParallelIterator, ParallelIterator};

use super::part::{DecodeContext, FramedPart, PartBounds, PartStop, frame_part};
use crate::capture::FrameStepper;
use crate::error::Warning;

/// How a window ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WindowEnd {
    /// The window's byte budget was reached; records follow.
    Budget,
    /// The last record is incomplete: at least this many more bytes.
    NeedMore(usize),
    /// Reading is over.
    Finished,
}

/// A window's confirmed parts, in order.
#[derive(Debug)]
pub(super) struct FramedWindow {
    pub(super) parts: Vec<FramedPart>,
    /// Just after the last whole record framed.
    pub(super) consumed: usize,
    pub(super) end: WindowEnd,
    /// The warning that ended reading, if any.
    pub(super) stop: Option<Warning>,
}

/// What a window is framed from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WindowInput<'w> {
    /// From a record boundary to (at most) the end of the input.
    pub(super) bytes: &'w [u8],
    /// Input offset of `bytes[0]`.
    pub(super) base_offset: u64,
    /// Frame records starting before this; later ones are the next window's.
    pub(super) budget: usize,
    /// `bytes` runs to the end of the input.
    pub(super) at_eof: bool,
}

/// Frames and decodes the records of a window in `parts` parts, in
/// parallel (on the current rayon pool); `stepper` is the true state at
/// the window's start and is left in the true state at its end.
pub(super) fn frame_window(
    input: WindowInput<'_>,
    stepper: &mut FrameStepper,
    parts: usize,
    cx: DecodeContext<'_>,
) -> FramedWindow {
    let WindowInput {
        bytes,
        base_offset,
        budget,
        at_eof,
    } = input;
    let span = budget.min(bytes.len());
    // Before the file header is read, no boundary can be guessed.
    let parts = if stepper.is_primed() { parts.max(1) } else { 1 };
    let cut = |k: usize| if k == parts { budget } else { span / parts * k };
    let assumed = &*stepper;
    let guessed: Vec<Option<FramedPart>> = (0..parts)
        .into_par_iter()
        .map(|k| {
            let start = if k == 0 {
                0
            } else {
                assumed.resync(bytes, base_offset, cut(k), cut(k + 1))?
            };
            let bounds = PartBounds {
                start,
                end: cut(k + 1),
                at_eof,
            };
            Some(frame_part(bytes, base_offset, bounds, assumed, cx))
        })
        .collect();

    let mut window = FramedWindow {
        parts: Vec::with_capacity(parts),
        consumed: 0,
        end: WindowEnd::Budget,
        stop: None,
    };
    let mut state = stepper.clone();
    for (k, guess) in guessed.into_iter().enumerate() {
        let expected = window.consumed;
        if expected >= cut(k + 1) {
            // A record of an earlier part spans this whole range.
            if let Some(wrong) = guess {
                cx.lists.give_back(wrong.decoded.by_shard);
            }
            continue;
        }
        let part = match guess {
            Some(part)
                if part.start == expected
                    // Every guess started from the window's start state.
                    && assumed.speculation_holds(&state, &part.stepper) =>
            {
                part
            }
            wrong => {
                if let Some(wrong) = wrong {
                    cx.lists.give_back(wrong.decoded.by_shard);
                }
                let bounds = PartBounds {
                    start: expected,
                    end: cut(k + 1),
                    at_eof,
                };
                frame_part(bytes, base_offset, bounds, &state, cx)
            }
        };
        state = FrameStepper::continue_from(part.stepper.clone(), &state);
        window.consumed = part.end;
        let stop = part.stop.clone();
        window.parts.push(part);
        match stop {
            None => {}
            Some(PartStop::NeedMore(needed)) => {
                window.end = WindowEnd::NeedMore(needed);
                break;
            }
            Some(PartStop::Finished(warning)) => {
                window.end = WindowEnd::Finished;
                window.stop = warning;
                break;
            }
        }
    }
    *stepper = state;
    window
}
