//! Property tests for the code that meets untrusted input: the address
//! parser, the incremental UTF-8 decoder and the terminal sanitiser.
//! Failures proptest finds are kept in `properties.proptest-regressions` and replayed
//! first on every run.

use poetry_dash::address::{self, Address};
use poetry_dash::text::{Sanitizer, Utf8Decoder, sanitize};
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
    fn decoding_in_any_pieces_equals_lossy_decoding(bytes in proptest::collection::vec(any::<u8>(), 0..64),
                                                     cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
        let mut decoder = Utf8Decoder::new();
        let mut out = String::new();
        for (start, end) in pieces(bytes.len(), cuts) {
            decoder.push(&bytes[start..end], &mut out);
        }
        decoder.finish(&mut out);
        prop_assert_eq!(out, String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn decoding_mostly_valid_text_in_pieces(text in "\\PC{0,30}", noise in proptest::collection::vec(any::<u8>(), 0..4),
                                            cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
        let mut bytes = text.into_bytes();
        let middle = bytes.len() / 2;
        bytes.splice(middle..middle, noise);
        let mut decoder = Utf8Decoder::new();
        let mut out = String::new();
        for (start, end) in pieces(bytes.len(), cuts) {
            decoder.push(&bytes[start..end], &mut out);
        }
        decoder.finish(&mut out);
        prop_assert_eq!(out, String::from_utf8_lossy(&bytes));
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

    #[test]
    fn sanitising_in_pieces_equals_sanitising_the_whole(text in "[\\x00-\\x1fa日\\t\\r\\n\\u{9b}\\u{202e}]{0,40}",
                                                        cuts in proptest::collection::vec(any::<usize>(), 0..5)) {
        let whole = sanitize(&text);
        let mut sanitizer = Sanitizer::default();
        let mut out = String::new();
        let chars: Vec<char> = text.chars().collect();
        for (start, end) in pieces(chars.len(), cuts) {
            let piece: String = chars[start..end].iter().collect();
            sanitizer.push(&piece, &mut out);
        }
        sanitizer.finish(&mut out);
        prop_assert_eq!(out, whole.text);
        prop_assert_eq!(sanitizer.replaced, whole.replaced);
    }
}
