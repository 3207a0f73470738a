//! Working on the raw bytes of a poem without decoding all of it: counting
//! the characters the sanitiser would replace, and turning one line of bytes
//! into safe text for the screen.
//!
//! Every character the sanitiser replaces has a fixed UTF-8 form that starts
//! with a lead byte (or is a single byte below 0x80), and a lead byte is never
//! inside another character, so a byte scan finds exactly those characters,
//! with or without invalid bytes around them.

use super::sanitize;

/// Counts, as bytes arrive, the characters [`sanitize`] would make visible
/// in the whole stream.
#[derive(Debug, Clone, Default)]
pub struct ControlCounter {
    count: usize,
    /// Where the next scan starts: a pattern that might continue past the
    /// bytes seen so far waits here for more.
    next: usize,
}

impl ControlCounter {
    pub fn count(&self) -> usize {
        self.count
    }

    /// Scans `bytes` (the whole stream so far) from where the last scan
    /// stopped. With `at_end`, nothing more will come.
    pub fn scan(&mut self, bytes: &[u8], at_end: bool) {
        let mut i = self.next;
        while i < bytes.len() {
            let at = |k: usize| bytes.get(i + k).copied();
            // Would this pattern need bytes that have not arrived yet?
            let needs = match bytes[i] {
                b'\r' | 0xC2 | 0xD8 => 2,
                0xE2 => 3,
                _ => 1,
            };
            if !at_end && i + needs > bytes.len() {
                break;
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
        self.next = i;
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
        counter.scan(bytes, true);
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
        for piece in 1..8 {
            let mut counter = ControlCounter::default();
            let mut end = 0;
            while end < hostile.len() {
                end = (end + piece).min(hostile.len());
                counter.scan(&hostile[..end], false);
            }
            counter.scan(hostile, true);
            assert_eq!(counter.count(), count(hostile), "pieces of {piece}");
        }
        let mut counter = ControlCounter::default();
        counter.scan(b"a\r", false);
        assert_eq!(counter.count(), 0, "a CR at the end may be half a CRLF");
        counter.scan(b"a\r\n", false);
        assert_eq!(counter.count(), 0);
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
