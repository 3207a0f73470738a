//! Property tests for the code that meets untrusted input: the address
//! parser, the line decoder, the control-character counter, the terminal
//! sanitiser and the netstring reader.
//! Failures proptest finds are kept in `properties.proptest-regressions` and replayed
//! first on every run.

use poetry_dash::address::{self, Address};
use poetry_dash::netstring::{NetstringReader, encode};
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
    fn the_netstring_reader_never_panics_and_never_keeps_more_than_its_limit(
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
        digits in "[0-9]{1,25}",
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
        limit in prop_oneof![0u64..100, Just(u64::MAX), any::<u64>()],
    ) {
        // Any bytes, and bytes that start like a netstring, in any pieces.
        for input in [bytes.clone(), [digits.as_bytes(), b":", &bytes].concat()] {
            let mut reader = NetstringReader::new(limit);
            for (start, end) in pieces(input.len(), cuts.clone()) {
                match reader.push(&input[start..end]) {
                    Ok(Some(data)) => prop_assert!(data.len() as u64 <= limit),
                    Ok(None) => prop_assert!(reader.received() <= limit),
                    Err(_) => break,
                }
            }
            let _ = reader.closed();
        }
    }

    #[test]
    fn a_netstring_reads_back_whatever_its_pieces(
        data in proptest::collection::vec(any::<u8>(), 0..300),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let framed = encode(&data);
        let mut reader = NetstringReader::new(300);
        let mut got = None;
        for (start, end) in pieces(framed.len(), cuts) {
            if let Some(done) = reader.push(&framed[start..end]).expect("well formed") {
                got = Some(done);
            }
        }
        prop_assert_eq!(got.as_deref(), Some(&data[..]));
    }

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

mod model_counters {
    //! The model keeps its state counts and byte total as `apply` changes
    //! them, and the table's rows come from an index of states: after any
    //! sequence of events, all of it agrees with a recount from scratch.

    use std::time::{Duration, Instant};

    use bytes::{Bytes, BytesMut};
    use poetry_dash::address::Address;
    use poetry_dash::engine::{Event, EventKind, FailReason, FetchError, TaskId};
    use poetry_dash::model::view::{Filter, SortOrder, View};
    use poetry_dash::model::{Model, State};
    use proptest::prelude::*;

    fn kind(choice: u8, bytes: u64, address: &Address) -> EventKind {
        let error = || FetchError {
            address: address.clone(),
            reason: FailReason::Refused,
            received: bytes,
            partial: Bytes::new(),
        };
        match choice % 8 {
            0 => EventKind::Queued {
                count: 1 + (bytes % 3) as u32,
            },
            1 => EventKind::Connecting {
                attempt: 1 + (bytes % 2) as u32,
                of: 2,
            },
            2 => EventKind::Connected {
                connect_time: Duration::from_millis(1),
            },
            3 => EventKind::Progress {
                data: vec![BytesMut::from(&b"poem bytes"[..(bytes % 10) as usize])],
                received: bytes,
            },
            4 => EventKind::Finished {
                received: bytes,
                times: Default::default(),
            },
            5 => EventKind::Failed { error: error() },
            6 => EventKind::Cancelled { received: bytes },
            _ => EventKind::Retrying {
                attempt: 2,
                of: 2,
                after: Duration::from_millis(5),
                error: error(),
            },
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn counters_and_rows_agree_with_a_recount(
            sizes in proptest::collection::vec(1usize..90, 1..4),
            events in proptest::collection::vec((any::<u16>(), 1u32..4, any::<u8>(), 0u64..40), 0..400),
        ) {
            let start = Instant::now();
            let mut model = Model::for_dashboard([], Default::default());
            let mut added = 0;
            let mut batches = sizes.into_iter();
            for (i, (task, run, choice, bytes)) in events.into_iter().enumerate() {
                // Downloads arrive in batches while events flow.
                if (added == 0 || i % 97 == 0)
                    && let Some(size) = batches.next()
                {
                    model.add((0..size).map(|p| Address::loopback(1 + p as u16)).collect());
                    added += size;
                }
                let task = TaskId::at(task as usize % added);
                let address = (*model[task].address).clone();
                let mut event = Event {
                    task,
                    generation: run,
                    at: start + Duration::from_millis(i as u64),
                    kind: kind(choice, bytes, &address),
                };
                model.apply(&mut event);
            }
            let totals = model.totals();
            let count = |f: fn(State) -> bool| model.downloads.iter().filter(|d| f(d.state)).count();
            prop_assert_eq!(totals.complete, count(State::is_complete));
            prop_assert_eq!(totals.failed, count(|s| s == State::Failed));
            prop_assert_eq!(totals.cancelled, count(|s| s == State::Cancelled));
            prop_assert_eq!(totals.queued, count(|s| s == State::Queued));
            prop_assert_eq!(totals.active, count(|s| matches!(s, State::Connecting | State::Receiving | State::Retrying)));
            prop_assert_eq!(totals.bytes, model.downloads.iter().map(|d| d.received).sum::<u64>());
            prop_assert_eq!(model.all_ended(), model.downloads.iter().all(|d| d.state.is_final()));

            let now = start + Duration::from_secs(1);
            for filter in [
                Filter::All,
                Filter::Active,
                Filter::Complete,
                Filter::Failed,
                Filter::Cancelled,
            ] {
                for sort in [SortOrder::Given, SortOrder::State, SortOrder::Rate, SortOrder::Slowest] {
                    let mut view = View::default();
                    view.filter = filter;
                    view.sort = sort;
                    let rows = view.rows(&model, now);
                    let mut expected: Vec<TaskId> = model
                        .tasks()
                        .filter(|&t| filter.accepts(model[t].state))
                        .collect();
                    match sort {
                        SortOrder::State => expected.sort_by_key(|&t| (model[t].state.rank(), t)),
                        SortOrder::Rate => expected.sort_by(|&a, &b| {
                            model[b].rate(now).total_cmp(&model[a].rate(now)).then(a.cmp(&b))
                        }),
                        SortOrder::Slowest => expected.sort_by(|&a, &b| {
                            let (x, y) = (model[a].average_rate(now), model[b].average_rate(now));
                            let by = match (x, y) {
                                (Some(x), Some(y)) => x.total_cmp(&y),
                                (x, y) => y.is_some().cmp(&x.is_some()),
                            };
                            by.then(a.cmp(&b))
                        }),
                        SortOrder::Given => {}
                    }
                    prop_assert_eq!(&rows.to_vec(), &expected, "{:?} {:?}", filter, sort);
                    for (row, &task) in expected.iter().enumerate() {
                        prop_assert_eq!(rows.position(task), Some(row));
                    }
                }
            }
        }
    }
}
