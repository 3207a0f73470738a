//! The poem pane's content as the rows it draws: the poem's lines wrapped to
//! the pane's width, then notes that say how the download ended.
//!
//! Scrolling counts these rows, not the poem's lines, so that the end of a
//! poem whose lines wrap can always be reached. Only the lines near the rows
//! asked for are decoded and wrapped: the cost follows the pane's size, not
//! the poem's.

use super::download::{Download, State};
use crate::engine::StepPhase;
use crate::text::{display_line, screenful_bytes, wrap};

/// A place in the pane's content: a line (the poem's lines, then the notes)
/// and a row within that line once wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct PoemPos {
    pub line: usize,
    pub row: usize,
}

/// The size of the pane's text area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PaneSize {
    pub width: usize,
    pub height: usize,
}

impl PaneSize {
    /// The most bytes of one line decoded: a longer line is cut at a
    /// screenful, so one enormous line costs no more than a screen.
    fn budget(self) -> usize {
        screenful_bytes(
            u16::try_from(self.width).unwrap_or(u16::MAX),
            u16::try_from(self.height).unwrap_or(u16::MAX),
        )
    }
}

/// One row of the pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaneRow {
    pub text: String,
    /// A note of ours, not the server's text.
    pub note: bool,
}

impl Download {
    /// Lines after the poem that say what happened, when the poem alone
    /// would not: why it is partial, why there is nothing, what it waits for.
    pub fn notes(&self) -> Vec<String> {
        let bytes = match self.received {
            0 => "no bytes received".to_string(),
            1 => "1 byte received".to_string(),
            n => format!("{n} bytes received"),
        };
        let attempts = if self.attempts > 1 {
            format!(" · attempt {} of {}", self.attempt, self.attempts)
        } else {
            String::new()
        };
        let reason = self.error.as_ref().map(|e| e.reason.to_string());
        let partial = if self.poem.is_empty() {
            ""
        } else {
            "partial poem: "
        };
        let note = match self.state {
            State::Complete => {
                // What the chain could not do is said under the poem.
                return self
                    .chain()
                    .map(|chain| {
                        chain
                            .failed
                            .iter()
                            .map(|(_, error)| {
                                format!(
                                    "— not transformed by {}: {}; the poem went on as it was —",
                                    error.step, error.failure
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
            }
            State::Transforming => match self.chain() {
                Some(chain) => format!(
                    "— transform {} of {}: {} —",
                    chain.step + 1,
                    chain.of,
                    match chain.phase {
                        StepPhase::Connecting => "connecting".to_string(),
                        StepPhase::Sending { sent, of } => format!("sending, {sent} of {of} bytes"),
                        StepPhase::Waiting => "sent, waiting for the reply".to_string(),
                        StepPhase::Receiving { received } =>
                            format!("receiving the reply, {received} bytes"),
                    }
                ),
                None => "— the poem goes to its transform —".to_string(),
            },
            State::Empty => "— the server sent nothing: an empty poem —".to_string(),
            State::Failed => format!(
                "— {partial}{}{attempts} · {bytes} —",
                reason.unwrap_or_else(|| "failed".into())
            ),
            State::Cancelled => format!("— {partial}cancelled{attempts} · {bytes} —"),
            State::Retrying => format!(
                "— {}; retrying{attempts} · {bytes} —",
                reason.unwrap_or_else(|| "failed".into())
            ),
            // While it runs, the poem speaks for itself once it has bytes.
            _ if !self.poem.is_empty() => return Vec::new(),
            State::Queued => "— queued: waiting for a free slot (-j) —".to_string(),
            State::Connecting => format!("— connecting{attempts} —"),
            State::Receiving => "— connected, waiting for the first byte —".to_string(),
        };
        vec![note]
    }

    /// The content's lines from `line` on, each with whether it is a note.
    fn content_from(&self, line: usize, pane: PaneSize) -> impl Iterator<Item = (String, bool)> {
        let poem_lines = self.line_count();
        let growing = !self.state.is_final();
        let poem = (line < poem_lines).then(|| {
            self.lines_from(line, pane.budget())
                .map(move |raw| (display_line(&raw, growing), false))
        });
        let notes = self.notes();
        let skip_notes = line.saturating_sub(poem_lines);
        poem.into_iter()
            .flatten()
            .chain(notes.into_iter().skip(skip_notes).map(|n| (n, true)))
    }

    fn content_lines(&self) -> usize {
        self.line_count() + self.notes().len()
    }

    /// How many rows line `line` of the content wraps into (at least 1).
    fn rows_of(&self, line: usize, pane: PaneSize) -> usize {
        self.content_from(line, pane)
            .next()
            .map_or(1, |(text, _)| wrapped_rows(&text, pane.width))
    }

    /// The rows of each line from `first` on, `count` of them, in one pass
    /// (finding a line starts from the index's checkpoint before it, so a
    /// line at a time would scan up to a checkpoint's worth of text each).
    fn rows_of_lines(&self, first: usize, count: usize, pane: PaneSize) -> Vec<usize> {
        let mut rows: Vec<usize> = self
            .content_from(first, pane)
            .take(count)
            .map(|(text, _)| wrapped_rows(&text, pane.width))
            .collect();
        rows.resize(count, 1);
        rows
    }

    /// The rows the pane shows with `top` as its first row.
    pub fn pane_rows(&self, top: PoemPos, pane: PaneSize) -> Vec<PaneRow> {
        let mut shown = Vec::with_capacity(pane.height);
        let mut skip = top.row;
        for (text, note) in self.content_from(top.line, pane) {
            if shown.len() >= pane.height {
                break;
            }
            let mut rows = Vec::new();
            wrap(
                &text,
                pane.width,
                skip + pane.height - shown.len(),
                &mut rows,
            );
            shown.extend(
                rows.into_iter()
                    .skip(skip)
                    .map(|text| PaneRow { text, note }),
            );
            skip = 0;
        }
        shown.truncate(pane.height);
        shown
    }

    /// The top that shows the last row of the content at the pane's bottom
    /// (or the start, when everything fits).
    pub fn last_top(&self, pane: PaneSize) -> PoemPos {
        let lines = self.content_lines();
        if lines == 0 {
            return PoemPos::default();
        }
        let last_line = lines - 1;
        let last = PoemPos {
            line: last_line,
            row: self.rows_of(last_line, pane) - 1,
        };
        self.back(last, pane.height.saturating_sub(1), pane)
    }

    /// `from` moved by `delta` rows (negative is up), kept between the start
    /// and [`Download::last_top`].
    pub fn scrolled(&self, from: PoemPos, delta: isize, pane: PaneSize) -> PoemPos {
        let last_top = self.last_top(pane);
        let mut from = from.min(last_top);
        // A position from before a resize (or a note that changed) may name
        // a row its line no longer has.
        from.row = from.row.min(self.rows_of(from.line, pane) - 1);
        if delta == isize::MAX {
            return last_top;
        }
        if delta < 0 {
            self.back(from, delta.unsigned_abs(), pane)
        } else {
            self.forward(from, delta.unsigned_abs(), last_top, pane)
        }
    }

    fn back(&self, mut pos: PoemPos, mut rows: usize, pane: PaneSize) -> PoemPos {
        // Every line has a row at least: `rows` rows back pass over at most
        // `rows` lines.
        let first = pos.line.saturating_sub(rows);
        let above = self.rows_of_lines(first, pos.line - first, pane);
        while rows > 0 {
            if pos.row >= rows {
                pos.row -= rows;
                break;
            }
            rows -= pos.row + 1;
            if pos.line == 0 {
                return PoemPos::default();
            }
            pos.line -= 1;
            pos.row = above.get(pos.line - first).copied().unwrap_or(1) - 1;
        }
        pos
    }

    fn forward(
        &self,
        mut pos: PoemPos,
        mut rows: usize,
        limit: PoemPos,
        pane: PaneSize,
    ) -> PoemPos {
        // Likewise forward: at most `rows` lines, counted in one pass.
        let first = pos.line;
        let below = self.rows_of_lines(first, rows.min(limit.line - first + 1), pane);
        while rows > 0 && pos < limit {
            let in_line = below.get(pos.line - first).copied().unwrap_or(1);
            if pos.row + rows < in_line {
                pos.row += rows;
                break;
            }
            rows -= in_line - pos.row;
            pos = PoemPos {
                line: pos.line + 1,
                row: 0,
            };
        }
        pos.min(limit)
    }
}

/// How many rows `text` wraps into at `width` (at least 1).
fn wrapped_rows(text: &str, width: usize) -> usize {
    let mut rows = Vec::new();
    wrap(text, width, usize::MAX, &mut rows);
    rows.len().max(1)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use bytes::BytesMut;

    use super::*;
    use crate::address::Address;
    use crate::engine::{Event, EventKind, FailReason, FetchError};

    fn download(text: &str, end: Option<EventKind>) -> Download {
        let mut d = Download::new(Address::loopback(1));
        let at = Instant::now();
        let mut short_poems = crate::model::ShortPoems::default();
        let mut feed = |kind| {
            d.apply(
                &mut Event {
                    task: crate::engine::TaskId::at(0),
                    generation: 1,
                    at,
                    kind,
                },
                Some(&mut short_poems),
            );
        };
        feed(EventKind::Connecting { attempt: 1, of: 1 });
        feed(EventKind::Progress {
            data: vec![BytesMut::from(text.as_bytes())],
            received: text.len() as u64,
        });
        if let Some(end) = end {
            feed(end);
        }
        // As the run loop does for the poem in view.
        d.index_text();
        d
    }

    fn finished(len: usize) -> Option<EventKind> {
        Some(EventKind::Finished {
            received: len as u64,
            times: Default::default(),
        })
    }

    fn failed(reason: FailReason, received: usize) -> Option<EventKind> {
        Some(EventKind::Failed {
            error: FetchError {
                address: Address::loopback(1),
                reason,
                received: received as u64,
                partial: Default::default(),
            },
        })
    }

    fn texts(rows: &[PaneRow]) -> Vec<&str> {
        rows.iter().map(|r| r.text.as_str()).collect()
    }

    #[test]
    fn the_end_of_a_poem_whose_lines_wrap_can_be_reached() {
        // 40 lines of about 110 characters in a pane 60 wide: 80 rows.
        let text: String = (1..=40)
            .map(|i| format!("{i:02} {}\n", "word ".repeat(21)))
            .collect();
        let d = download(&text, finished(text.len()));
        let pane = PaneSize {
            width: 60,
            height: 10,
        };
        let end = d.scrolled(PoemPos::default(), isize::MAX, pane);
        assert_eq!(end, d.last_top(pane));
        let rows = d.pane_rows(end, pane);
        assert_eq!(rows.len(), 10);
        assert!(rows[9].text.trim_end().ends_with("word"), "{rows:?}");
        assert!(
            rows.iter().any(|r| r.text.starts_with("40 ")),
            "the last line is on screen: {rows:?}"
        );
        // Row by row from the top reaches the same end, and no further.
        let mut pos = PoemPos::default();
        for _ in 0..200 {
            pos = d.scrolled(pos, 1, pane);
        }
        assert_eq!(pos, end);
        // And back up to the start.
        assert_eq!(d.scrolled(end, -1000, pane), PoemPos::default());
    }

    #[test]
    fn a_position_from_before_a_resize_still_scrolls() {
        let text: String = (0..20)
            .map(|i| format!("{i:02} {}\n", "word ".repeat(12)))
            .collect();
        let d = download(&text, finished(text.len()));
        let narrow = PaneSize {
            width: 20,
            height: 5,
        };
        let wide = PaneSize {
            width: 200,
            height: 5,
        };
        let pos = d.scrolled(PoemPos::default(), 17, narrow);
        assert!(pos.row > 0, "inside a wrapped line: {pos:?}");
        // Wider, that line is one row: the old row does not fit it.
        let moved = d.scrolled(pos, 1, wide);
        assert_eq!(
            moved,
            PoemPos {
                line: pos.line + 1,
                row: 0
            }
        );
        assert_eq!(
            d.scrolled(pos, -1, wide),
            PoemPos {
                line: pos.line - 1,
                row: 0
            }
        );
        assert_eq!(d.scrolled(pos, isize::MAX, wide), d.last_top(wide));
    }

    #[test]
    fn wide_characters_wrap_and_scroll_in_rows() {
        let text = "床前明月光疑是地上霜举头望明月低头思故乡\n".repeat(5);
        let d = download(&text, finished(text.len()));
        let pane = PaneSize {
            width: 8,
            height: 3,
        };
        // 20 wide characters in 8 columns: 5 rows a line, 25 rows in all.
        let end = d.last_top(pane);
        assert_eq!(end, PoemPos { line: 4, row: 2 });
        assert_eq!(
            texts(&d.pane_rows(end, pane)),
            ["上霜举头", "望明月低", "头思故乡"]
        );
        assert_eq!(
            d.scrolled(end, -4, pane),
            PoemPos { line: 3, row: 3 },
            "up four rows crosses into the line before"
        );
        assert_eq!(
            d.scrolled(PoemPos::default(), 7, pane),
            PoemPos { line: 1, row: 2 }
        );
    }

    #[test]
    fn a_partial_poem_shows_every_byte_and_its_note_below() {
        let text = "line one\nline two\nunfinished li";
        let d = download(text, failed(FailReason::Reset, text.len()));
        let pane = PaneSize {
            width: 80,
            height: 3,
        };
        let end = d.last_top(pane);
        let rows = d.pane_rows(end, pane);
        assert_eq!(
            rows[1].text, "unfinished li",
            "the last fragment is visible"
        );
        assert!(rows[2].note && rows[2].text.contains("partial poem: connection reset"));
        assert!(rows[2].text.contains("31 bytes received"), "{rows:?}");
    }

    #[test]
    fn an_ended_download_without_bytes_says_what_happened() {
        let empty = download("", finished(0));
        let pane = PaneSize {
            width: 60,
            height: 5,
        };
        assert_eq!(
            texts(&empty.pane_rows(PoemPos::default(), pane)),
            ["— the server sent nothing: an empty poem —"]
        );
        let refused = download("", failed(FailReason::Refused, 0));
        assert_eq!(
            texts(&refused.pane_rows(PoemPos::default(), pane)),
            ["— connection refused · no bytes received —"]
        );
    }

    #[test]
    fn scrolling_by_any_number_of_rows_lands_where_counting_every_row_says() {
        // Lines of every length, many wrapping, past the first index
        // checkpoint (72 KB of text; one every 64 KiB), with a note after
        // the poem.
        let text: String = (0..1500)
            .map(|i| {
                let len = (i * 37) % 97;
                let word: String = (0..len)
                    .map(|k| if k % 7 == 6 { ' ' } else { 'x' })
                    .collect();
                format!("{word}\n")
            })
            .collect();
        let d = download(&text, failed(FailReason::Reset, text.len()));
        // Pane heights that put the last top on rows of every kind: the
        // first of its line, or within it.
        // The oracle: every row of the content in order, one by one (how a
        // line wraps depends on the width alone).
        let wide = PaneSize {
            width: 30,
            height: 1,
        };
        let every_row: Vec<PoemPos> = (0..d.content_lines())
            .flat_map(|line| (0..d.rows_of(line, wide)).map(move |row| PoemPos { line, row }))
            .collect();
        for height in [7, 10, 11, 13] {
            let pane = PaneSize { width: 30, height };
            let last = every_row.len().saturating_sub(pane.height);
            assert_eq!(d.last_top(pane), every_row[last]);
            // Every row near the end too, where a scroll meets the last top.
            for start in (0..every_row.len())
                .step_by(499)
                .chain(last.saturating_sub(15)..every_row.len())
            {
                for delta in [
                    -1000isize, -25, -11, -10, -9, -2, -1, 0, 1, 2, 9, 10, 11, 25, 1000,
                ] {
                    let from = every_row[start];
                    let want = (start.min(last) as isize + delta).clamp(0, last as isize) as usize;
                    assert_eq!(
                        d.scrolled(from, delta, pane),
                        every_row[want],
                        "height {height}: from {from:?} by {delta}"
                    );
                }
            }
        }
    }
}
