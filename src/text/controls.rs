//! Working on the raw bytes of a poem without decoding all of it: counting
//! the characters the sanitiser would replace, and turning one line of bytes
//! into safe text for the screen.
//!
//! Every character the sanitiser replaces has a fixed UTF-8 form that starts
//! with a lead byte (or is a single byte below 0x80), and a lead byte is never
//! inside another character, so a byte scan finds exactly those characters,
//! with or without invalid bytes around them.

use super::sanitize;

/// Bytes checked at once on the fast path.
const BLOCK: usize = 64;

/// Counts, as bytes arrive, the characters [`sanitize`] would make visible
/// in the whole stream, without decoding it.
#[derive(Debug, Clone, Default)]
pub struct ControlCounter {
    count: usize,
    /// The last bytes seen, when they may begin a pattern that the next
    /// piece completes: `carry[..carried]`. Kept in place, not on the heap:
    /// every poem the dashboard keeps has a counter.
    carry: [u8; CARRY],
    carried: u8,
}

/// Room for the bytes of a pattern that a piece leaves unfinished (patterns
/// are at most three bytes long).
const CARRY: usize = 4;

impl ControlCounter {
    /// Characters counted so far (not counting a pattern still waiting for
    /// its last bytes).
    pub fn count(&self) -> usize {
        self.count
    }

    /// Counts in the next piece of the stream.
    pub fn push(&mut self, piece: &[u8]) {
        let mut start = 0;
        if self.carried > 0 {
            // Patterns that began in the carry end within the next two bytes.
            let carried = usize::from(self.carried);
            let taken = piece.len().min(2);
            let mut joined = [0u8; CARRY + 2];
            joined[..carried].copy_from_slice(&self.carry[..carried]);
            joined[carried..carried + taken].copy_from_slice(&piece[..taken]);
            let joined = &joined[..carried + taken];
            self.carried = 0;
            let next = self.scan(joined, 0, carried, false);
            if next < carried {
                self.keep(&joined[next..]); // the piece was too short to tell
                return;
            }
            start = next - carried;
        }
        let next = self.scan(piece, start, piece.len(), false);
        self.keep(&piece[next.min(piece.len())..]);
    }

    /// Holds the unfinished end of a piece for the next one.
    fn keep(&mut self, bytes: &[u8]) {
        debug_assert!(bytes.len() <= CARRY, "a pattern is at most three bytes");
        let kept = bytes.len().min(CARRY);
        self.carry[..kept].copy_from_slice(&bytes[..kept]);
        self.carried = kept as u8;
    }

    /// Ends the stream: a pattern cut off by the end is judged as it is.
    pub fn finish(&mut self) {
        let carry = self.carry;
        let carried = usize::from(std::mem::take(&mut self.carried));
        self.scan(&carry[..carried], 0, carried, true);
    }

    /// Counts the patterns starting in `from..until` and returns where
    /// scanning stopped: `until` (or just past it, when the last pattern ran
    /// over), or earlier when a pattern needs bytes beyond `bytes`.
    fn scan(&mut self, bytes: &[u8], from: usize, until: usize, at_end: bool) -> usize {
        let mut i = from;
        while i < until {
            // Plain text (printable ASCII and newlines) is skipped a block at
            // a time: the test compiles to a few vector instructions, which
            // keeps counting far faster than the network.
            while let Some(block) = bytes.get(i..i + BLOCK).filter(|_| i + BLOCK <= until) {
                // No short cut: `fold` with `&` lets the compiler use SIMD.
                let plain = block.iter().fold(true, |plain, &b| {
                    plain & ((b.wrapping_sub(0x20) < 0x5F) | (b == b'\n'))
                });
                if !plain {
                    break;
                }
                i += BLOCK;
            }
            if i >= until {
                break;
            }
            let at = |k: usize| bytes.get(i + k).copied();
            let needs = match bytes[i] {
                b'\r' | 0xC2 | 0xD8 => 2,
                0xE2 => 3,
                _ => 1,
            };
            if !at_end && i + needs > bytes.len() {
                return i;
            }
            let (is_control, width) = match (bytes[i], at(1), at(2)) {
                (b'\n' | b'\t', _, _) => (false, 1),
                (b'\r', Some(b'\n'), _) => (false, 1),
                (0x00..=0x1F | 0x7F, _, _) => (true, 1),
                (0xC2, Some(0x80..=0x9F), _) => (true, 2), // C1 controls
                (0xD8, Some(0x9C), _) => (true, 2),        // U+061C
                (0xE2, Some(0x80), Some(0x8E | 0x8F | 0xA8..=0xAE)) => (true, 3),
                (0xE2, Some(0x81), Some(0xA6..=0xA9)) => (true, 3), // bidi isolates
                _ => (false, 1),
            };
            self.count += usize::from(is_control);
            i += width;
        }
        i
    }
}

/// One line of a poem (without its newline) as text that is safe to show.
/// A CR ending the line belongs to a CRLF and is dropped. With `growing`, the
/// line may be cut inside a character that the next bytes complete, so an
/// incomplete character at its end is left out rather than shown as U+FFFD.
pub fn display_line(bytes: &[u8], growing: bool) -> String {
    let mut bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    if growing {
        let valid_prefix = match std::str::from_utf8(bytes) {
            Ok(_) => bytes.len(),
            Err(err) if err.error_len().is_none() => err.valid_up_to(),
            Err(_) => {
                // Invalid bytes earlier on: only an incomplete tail is held back.
                let tail_start = bytes.len().saturating_sub(3);
                (tail_start..bytes.len())
                    .find(|&start| {
                        std::str::from_utf8(&bytes[start..])
                            .is_err_and(|e| e.valid_up_to() == 0 && e.error_len().is_none())
                    })
                    .unwrap_or(bytes.len())
            }
        };
        bytes = &bytes[..valid_prefix];
    }
    sanitize(&String::from_utf8_lossy(bytes)).text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(bytes: &[u8]) -> usize {
        let mut counter = ControlCounter::default();
        counter.push(bytes);
        counter.finish();
        counter.count()
    }

    #[test]
    fn counts_what_the_sanitiser_replaces() {
        let hostile = include_bytes!("../../assets/poems/hostile.txt");
        let expected = sanitize(&String::from_utf8_lossy(hostile)).replaced;
        assert_eq!(count(hostile), expected);
        assert_eq!(count(b"a\r\nb\rc\td\n"), 1);
        assert_eq!(count(b"\xe2\xc2\x9b"), 1, "a C1 after an invalid byte");
    }

    #[test]
    fn counts_the_same_in_any_pieces() {
        let hostile = include_bytes!("../../assets/poems/hostile.txt");
        for size in 1..8 {
            let mut counter = ControlCounter::default();
            hostile.chunks(size).for_each(|piece| counter.push(piece));
            counter.finish();
            assert_eq!(counter.count(), count(hostile), "pieces of {size}");
        }
        let mut counter = ControlCounter::default();
        counter.push(b"a\r");
        assert_eq!(counter.count(), 0, "a CR at the end may be half a CRLF");
        counter.push(b"\n");
        counter.finish();
        assert_eq!(counter.count(), 0);
    }

    /// What the sanitiser counts in `bytes`, for comparison.
    fn sanitiser_count(bytes: &[u8]) -> usize {
        sanitize(&String::from_utf8_lossy(bytes)).replaced
    }

    #[test]
    fn a_control_anywhere_in_long_plain_text_is_counted_once() {
        // Long runs of plain text take the fast path a block at a time: each
        // kind of control (and each harmless neighbour of one) at every
        // offset around the blocks' edges, whole or in pieces of any size.
        let kinds: [(&[u8], usize); 16] = [
            (b"\x1b", 1),
            (b"\x7f", 1),
            (b"\x1f", 1),
            (b"\x00", 1),
            (b"\r", 1),
            (b"\r\n", 0),
            (b"\t", 0),
            (b"\n", 0),
            (b"~", 0),
            (b" ", 0),
            ("\u{9b}".as_bytes(), 1),
            ("\u{a0}".as_bytes(), 0),
            ("\u{61c}".as_bytes(), 1),
            ("\u{202e}".as_bytes(), 1),
            ("\u{2067}".as_bytes(), 1),
            ("\u{2014}".as_bytes(), 0),
        ];
        for (kind, expected) in kinds {
            for offset in (0..8).chain(56..72).chain(120..136) {
                let mut text = vec![b'a'; 200];
                text.splice(offset..offset, kind.iter().copied());
                let what = format!("{kind:?} at {offset}");
                assert_eq!(sanitiser_count(&text), expected, "{what}: the sanitiser");
                assert_eq!(count(&text), expected, "{what}");
                for size in [1, 2, 3, 5, 63, 64, 65, 100] {
                    let mut counter = ControlCounter::default();
                    text.chunks(size).for_each(|piece| counter.push(piece));
                    counter.finish();
                    assert_eq!(counter.count(), expected, "{what}, in pieces of {size}");
                }
            }
        }
        // Whole blocks of nothing but controls (or DEL, or newlines, or
        // bytes above ASCII), which a wrong plain-text test would skip.
        for (run, controls) in [
            (b"\x1b".repeat(200), 200),
            (b"\x7f".repeat(200), 200),
            (b"\x01".repeat(200), 200),
            ("\u{9b}".repeat(100).into_bytes(), 100),
            (b"\n".repeat(200), 0),
            (b"\xff".repeat(200), 0),
        ] {
            assert_eq!(sanitiser_count(&run), controls, "{:?}", &run[..2]);
            assert_eq!(count(&run), controls, "{:?}", &run[..2]);
        }
        // Many controls: every one counted, however the pieces fall.
        let many: Vec<u8> = "x\x1b[0m\u{202e}y\u{9b}\u{61c}\r".repeat(40).into_bytes();
        let expected = sanitiser_count(&many);
        assert_eq!(expected, 40 * 5);
        for size in [1, 2, 3, 4, 7, 64, 65] {
            let mut counter = ControlCounter::default();
            many.chunks(size).for_each(|piece| counter.push(piece));
            counter.finish();
            assert_eq!(counter.count(), expected, "pieces of {size}");
        }
    }

    #[test]
    fn lines_are_made_safe() {
        assert_eq!(display_line(b"tab\there\r", false), "tab     here");
        assert_eq!(display_line(b"\x1b[2Jx", false), "^[[2Jx");
        assert_eq!(display_line("日本".as_bytes(), false), "日本");
        assert_eq!(
            display_line(&"日本".as_bytes()[..4], true),
            "日",
            "half a character waits"
        );
        assert_eq!(display_line(&"日本".as_bytes()[..4], false), "日\u{fffd}");
        assert_eq!(display_line(b"\xff ok \xe6\x97", true), "\u{fffd} ok ");
    }
}
