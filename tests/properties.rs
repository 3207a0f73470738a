//! Property tests for the code that meets untrusted input: the address
//! parser, the line decoder, the control-character counter and the terminal
//! sanitiser.
//! Failures proptest finds are kept in `properties.proptest-regressions` and replayed
//! first on every run.

use poetry_dash::address::{self, Address};
use poetry_dash::text::{ControlCounter, display_line, sanitize};
use proptest::prelude::*;

fn is_forbidden(c: char) -> bool {
    (c.is_control() && c != '\n')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
        || matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{2028}' | '\u{2029}'
        )
}

/// Cuts `len` into pieces at the given (unsorted, possibly repeated) points.
fn pieces(len: usize, mut cuts: Vec<usize>) -> Vec<(usize, usize)> {
    cuts.iter_mut().for_each(|c| *c %= len + 1);
    cuts.sort_unstable();
    let mut start = 0;
    let mut out = Vec::new();
    for cut in cuts.into_iter().chain([len]) {
        out.push((start, cut));
        start = cut;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_address_parser_never_panics_and_round_trips(text in "\\PC{0,40}|[0-9\\[\\]:a-z.]{0,30}") {
        if let Ok(parsed) = address::parse(&text) {
            prop_assert!(parsed.port >= 1);
            prop_assert_eq!(address::parse(&parsed.to_string()), Ok(parsed));
        }
    }

    #[test]
    fn well_formed_addresses_parse_as_written(host in "[a-z0-9][a-z0-9.-]{0,20}", port in 1u16..) {
        let text = format!("{host}:{port}");
        prop_assert_eq!(address::parse(&text), Ok(Address::new(host, port)));
    }

    #[test]
    fn a_growing_line_shows_only_whole_characters(text in "[^\\p{C}]{0,30}", cut in any::<usize>()) {
        // Cut anywhere, even inside a character: what shows is the text up
        // to the last whole character, never a replacement character.
        let bytes = text.as_bytes();
        let cut = cut % (bytes.len() + 1);
        let mut whole = cut;
        while !text.is_char_boundary(whole) {
            whole -= 1;
        }
        prop_assert_eq!(display_line(&bytes[..cut], true), sanitize(&text[..whole]).text);
    }

    #[test]
    fn lines_of_any_bytes_are_safe(bytes in proptest::collection::vec(any::<u8>(), 0..80), growing in any::<bool>()) {
        // A line comes without its newline.
        let bytes: Vec<u8> = bytes.into_iter().filter(|&b| b != b'\n').collect();
        let line = display_line(&bytes, growing);
        prop_assert!(!line.chars().any(|c| is_forbidden(c) || c == '\n'), "{:?}", line);
    }

    #[test]
    fn counting_in_any_pieces_matches_the_sanitiser(bytes in proptest::collection::vec(
            prop_oneof![any::<u8>(), Just(b'\r'), Just(b'\n'), Just(0xc2), Just(0x9b), Just(0xe2), Just(0x80), Just(0xae)], 0..64),
            cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
        let mut counter = ControlCounter::default();
        for (start, end) in pieces(bytes.len(), cuts) {
            counter.push(&bytes[start..end]);
        }
        counter.finish();
        prop_assert_eq!(counter.count(), sanitize(&String::from_utf8_lossy(&bytes)).replaced);
    }

    #[test]
    fn sanitised_text_holds_nothing_a_terminal_obeys(text in "\\PC{0,40}|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}a\\t\\r\\n]{0,40}") {
        let clean = sanitize(&text);
        prop_assert!(!clean.text.chars().any(is_forbidden), "{:?}", clean.text);
        // Already clean text comes through unchanged.
        prop_assert_eq!(sanitize(&clean.text).text, clean.text.clone());
        let forbidden_in = text.chars().filter(|&c| is_forbidden(c) && c != '\t').count();
        let crlf = text.matches("\r\n").count();
        prop_assert_eq!(clean.replaced, forbidden_in - crlf);
    }
}
