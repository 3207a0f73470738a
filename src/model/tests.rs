use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::*;
use crate::engine::{AttemptTimes, EventKind, FailReason, FetchError, Shift, TaskId};

fn event(at: Instant, task: usize, generation: u32, kind: EventKind) -> Event {
    Event {
        task: TaskId::at(task),
        generation,
        at,
        kind,
    }
}

fn progress(text: &str, received: u64) -> EventKind {
    EventKind::Progress {
        data: vec![BytesMut::from(text.as_bytes())],
        received,
    }
}

#[test]
fn a_download_goes_from_queued_to_complete() {
    let t0 = Instant::now();
    let mut model = Model::new([Address::loopback(10000)]);
    let ms = |n| t0 + Duration::from_millis(n);
    model.apply(&mut event(ms(0), 0, 1, EventKind::Queued { count: 1 }));
    model.apply(&mut event(
        ms(1),
        0,
        1,
        EventKind::Connecting { attempt: 1, of: 1 },
    ));
    assert_eq!(model.downloads[0].state, State::Connecting);
    model.apply(&mut event(
        ms(2),
        0,
        1,
        EventKind::Connected {
            connect_time: Duration::from_millis(1),
        },
    ));
    model.apply(&mut event(ms(10), 0, 1, progress("Where, like ", 12)));
    model.apply(&mut event(ms(60), 0, 1, progress("a pillow", 20)));
    assert_eq!(model.downloads[0].state, State::Receiving);
    assert!(model.downloads[0].is_partial());
    assert!(!model.all_ended());
    model.apply(&mut event(
        ms(70),
        0,
        1,
        EventKind::Finished {
            received: 20,
            times: AttemptTimes::default(),
        },
    ));
    let download = &model.downloads[0];
    assert_eq!(download.state, State::Complete);
    assert_eq!(download.poem.to_vec(), b"Where, like a pillow");
    assert!(!download.is_partial());
    assert!(model.all_ended());
    assert_eq!(model.elapsed(), Duration::from_millis(70));
    assert_eq!(model.totals().complete, 1);
    assert_eq!(model.totals().bytes, 20);
}

#[test]
fn events_from_an_older_run_are_ignored_after_a_restart() {
    let t0 = Instant::now();
    let mut model = Model::new([Address::loopback(10000)]);
    model.apply(&mut event(
        t0,
        0,
        1,
        EventKind::Connecting { attempt: 1, of: 1 },
    ));
    model.apply(&mut event(t0, 0, 1, progress("old", 3)));
    assert!(model.apply(&mut event(t0, 0, 2, EventKind::Queued { count: 1 })));
    assert!(
        model.downloads[0].poem.is_empty(),
        "a restart starts afresh"
    );
    assert!(!model.apply(&mut event(t0, 0, 1, EventKind::Cancelled { received: 3 })));
    assert_eq!(model.downloads[0].state, State::Queued);
}

#[test]
fn a_failure_keeps_the_partial_poem_and_the_reason() {
    let t0 = Instant::now();
    let mut model = Model::for_dashboard(
        [Address::loopback(1), Address::loopback(2)],
        Limits::default(),
    );
    model.apply(&mut event(
        t0,
        1,
        1,
        EventKind::Connecting { attempt: 1, of: 2 },
    ));
    model.apply(&mut event(t0, 1, 1, progress("half a po", 9)));
    let error = FetchError {
        address: Address::loopback(2),
        reason: FailReason::Reset,
        received: 9,
        partial: Bytes::new(),
    };
    model.apply(&mut event(
        t0,
        1,
        1,
        EventKind::Retrying {
            attempt: 2,
            of: 2,
            after: Duration::from_secs(1),
            error: error.clone(),
        },
    ));
    assert_eq!(model.downloads[1].state, State::Retrying);
    assert_eq!(
        model.downloads[1].retry_at(),
        Some(t0 + Duration::from_secs(1))
    );
    model.apply(&mut event(
        t0,
        1,
        1,
        EventKind::Connecting { attempt: 2, of: 2 },
    ));
    model.apply(&mut event(t0, 1, 1, progress("half", 4)));
    model.apply(&mut event(
        t0,
        1,
        1,
        EventKind::Failed {
            error: FetchError {
                received: 4,
                ..error
            },
        },
    ));
    let download = &model.downloads[1];
    assert_eq!(download.state, State::Failed);
    assert_eq!(download.poem.to_vec(), b"half");
    assert!(download.is_partial());
    assert_eq!(download.fail_reason(), Some(&FailReason::Reset));
    let totals = model.totals();
    assert_eq!((totals.failed, totals.queued), (1, 1));
}

#[test]
fn an_empty_poem_is_its_own_state() {
    let t0 = Instant::now();
    let mut model = Model::new([Address::loopback(1)]);
    model.apply(&mut event(
        t0,
        0,
        1,
        EventKind::Connecting { attempt: 1, of: 1 },
    ));
    model.apply(&mut event(
        t0,
        0,
        1,
        EventKind::Finished {
            received: 0,
            times: AttemptTimes::default(),
        },
    ));
    assert_eq!(model.downloads[0].state, State::Empty);
    assert!(!model.downloads[0].is_partial());
}

#[test]
fn the_line_index_finds_any_line_of_a_huge_poem() {
    let t0 = Instant::now();
    // Two downloads of the same poem: the second is in view for the first
    // half of it, then the first is, to the end. So the first is indexed
    // whole (caught up once, then as its bytes arrive) and the second only
    // half: both must read the same.
    let mut model = Model::for_dashboard(
        [Address::loopback(1), Address::loopback(2)],
        Default::default(),
    );
    for task in 0..2 {
        let kind = EventKind::Connecting { attempt: 1, of: 1 };
        model.apply(&mut event(t0, task, 1, kind));
    }
    // Lines with control characters now and then.
    let text: String = (0..100_000)
        .map(|i| match i % 1000 {
            7 => format!("line {i}\u{1b}[1m\n"),
            _ => format!("line {i}\n"),
        })
        .collect();
    // In uneven pieces, so lines are split across events.
    let pieces: Vec<&[u8]> = text.as_bytes().chunks(7919).collect();
    let mut received = 0;
    model.follow_poem(Some(TaskId::at(1)));
    for (i, piece) in pieces.iter().enumerate() {
        received += piece.len() as u64;
        if i == pieces.len() / 2 {
            assert_eq!(model.downloads[0].indexed_bytes(), 0, "not out of view");
            model.follow_poem(Some(TaskId::at(0)));
        }
        for task in 0..2 {
            let data = vec![BytesMut::from(*piece)];
            let kind = EventKind::Progress { data, received };
            model.apply(&mut event(t0, task, 1, kind));
        }
    }
    let (whole, half) = (&model.downloads[0], &model.downloads[1]);
    assert_eq!(whole.indexed_bytes(), text.len(), "in view: as it arrives");
    assert!(half.indexed_bytes() < text.len() / 2 + 7919);
    let reads = |download: &Download| {
        let tops = [0, 1, 255, 256, 257, 51_200, 99_999, 100_000];
        let lines: Vec<Option<Vec<u8>>> = tops
            .iter()
            .map(|&top| {
                download
                    .lines_from(top, 1000)
                    .next()
                    .map(|l| l.into_owned())
            })
            .collect();
        (download.line_count(), download.control_chars(), lines)
    };
    let read = reads(whole);
    assert_eq!(
        reads(half),
        read,
        "a poem half indexed reads as one indexed"
    );
    assert_eq!(whole.line_count(), 100_000);
    assert_eq!(whole.control_chars(), 100);
    for (top, line) in [0, 1, 255, 256, 257, 51_200, 99_999].iter().zip(&read.2) {
        assert_eq!(line.as_deref(), Some(format!("line {top}").as_bytes()));
    }
    assert_eq!(read.2[7], None, "no line after the last");
    assert_eq!(
        whole.lines_from(5, 3).next().map(|l| l.into_owned()),
        Some(b"lin".to_vec()),
        "a line is cut at the budget"
    );
    // A poem shown for a frame (a gallery card) is caught up at once.
    model.index_poem(TaskId::at(1));
    assert_eq!(model.downloads[1].indexed_bytes(), text.len());
    assert_eq!(reads(&model.downloads[1]), read);
}

#[test]
fn the_total_of_bytes_received_never_goes_down_on_a_retry() {
    let t0 = Instant::now();
    let mut model = Model::for_dashboard([Address::loopback(1)], Limits::default());
    let attempt = |attempt| EventKind::Connecting { attempt, of: 2 };
    model.apply(&mut event(t0, 0, 1, attempt(1)));
    model.apply(&mut event(t0, 0, 1, progress("0123456789", 10)));
    assert_eq!(model.received_total, 10);
    // The engine retries (a new attempt), then a retry command (a new run).
    model.apply(&mut event(t0, 0, 1, attempt(2)));
    model.apply(&mut event(t0, 0, 1, progress("abc", 3)));
    assert_eq!(model.received_total, 13);
    model.apply(&mut event(t0, 0, 2, attempt(1)));
    assert_eq!(model.received_total, 13, "a restart takes nothing back");
    model.apply(&mut event(t0, 0, 2, progress("xy", 2)));
    assert_eq!(model.received_total, 15);
    assert_eq!(model.totals().bytes, 2, "the current runs hold 2");
}

#[test]
fn a_poem_that_ended_can_be_let_go_of_but_not_one_that_runs() {
    let t0 = Instant::now();
    let mut model = Model::new([Address::loopback(1), Address::loopback(2)]);
    for task in [0, 1] {
        model.apply(&mut event(
            t0,
            task,
            1,
            EventKind::Connecting { attempt: 1, of: 1 },
        ));
        model.apply(&mut event(t0, task, 1, progress("a poem\n", 7)));
    }
    model.apply(&mut event(
        t0,
        0,
        1,
        EventKind::Finished {
            received: 7,
            times: AttemptTimes::default(),
        },
    ));
    model.forget_ended(TaskId::at(0));
    model.forget_ended(TaskId::at(1));
    assert!(model.downloads[0].poem.is_empty(), "ended: let go");
    assert_eq!(model.downloads[0].received, 7, "the count stays");
    assert_eq!(model.downloads[1].poem.len(), 7, "still running: kept");
}

/// Task 1's first attempt connects at `t0` and gets its first 10 bytes
/// 100 ms later.
fn first_bytes_at(model: &mut Model, t0: Instant) {
    let connecting = EventKind::Connecting { attempt: 1, of: 1 };
    model.apply(&mut event(t0, 0, 1, connecting));
    let at = t0 + Duration::from_millis(100);
    model.apply(&mut event(at, 0, 1, progress("Sat we two", 10)));
}

#[test]
fn a_pause_stops_the_idle_clock_and_moves_the_deadline() {
    let t0 = Instant::now();
    let ms = |n| t0 + Duration::from_millis(n);
    let mut model =
        Model::for_dashboard([Address::loopback(10000).named("slow")], Limits::default());
    first_bytes_at(&mut model, t0);
    model.apply(&mut event(ms(200), 0, 1, EventKind::Paused { count: 1 }));
    let download = &model.downloads[0];
    assert!(download.paused);
    assert_eq!(download.state, State::Receiving, "held where it was");
    assert_eq!(model.totals().paused, 1);
    let limit = Duration::from_secs(10);
    // Paused for ten seconds: idle and time left stand still.
    assert_eq!(download.idle(ms(10_200)), Some(Duration::from_millis(100)));
    assert_eq!(
        download.time_left(limit, ms(10_200)),
        Some(Duration::from_millis(9_800))
    );
    model.apply(&mut event(
        ms(10_200),
        0,
        1,
        EventKind::Resumed { count: 1 },
    ));
    let download = &model.downloads[0];
    assert!(!download.paused);
    assert_eq!(model.totals().paused, 0);
    // The idle clock goes on from where it stopped (100 ms of silence before
    // the pause, 100 ms after): a resume does not reset it. The deadline
    // moved by the pause.
    assert_eq!(download.idle(ms(10_300)), Some(Duration::from_millis(200)));
    assert_eq!(
        download.time_left(limit, ms(10_300)),
        Some(Duration::from_millis(9_700))
    );
}

#[test]
fn a_stopped_process_moves_every_running_clock() {
    let t0 = Instant::now();
    let ms = |n| t0 + Duration::from_millis(n);
    let mut model = Model::for_dashboard(
        [Address::loopback(10000), Address::loopback(10001)],
        Limits::default(),
    );
    first_bytes_at(&mut model, t0);
    let limit = Duration::from_secs(30);
    // Stopped (Ctrl-Z) for ten seconds, from 200 ms to 10,200 ms.
    model.shift(Shift {
        by: Duration::from_secs(10),
        ended: ms(10_200),
    });
    let download = &model.downloads[0];
    assert_eq!(download.idle(ms(10_300)), Some(Duration::from_millis(200)));
    assert_eq!(
        download.time_left(limit, ms(10_300)),
        Some(Duration::from_millis(29_700))
    );
    assert_eq!(
        model.downloads[1].idle(ms(10_300)),
        None,
        "a queued one has no clocks"
    );
}

#[test]
fn a_stop_during_a_pause_is_counted_once() {
    let t0 = Instant::now();
    let ms = |n| t0 + Duration::from_millis(n);
    let mut model = Model::for_dashboard([Address::loopback(10000)], Limits::default());
    first_bytes_at(&mut model, t0);
    model.apply(&mut event(ms(1_000), 0, 1, EventKind::Paused { count: 1 }));
    // Ctrl-Z from 2 s to 6 s, while paused.
    let by = Duration::from_secs(4);
    model.shift(Shift {
        by,
        ended: ms(6_000),
    });
    model.apply(&mut event(ms(7_000), 0, 1, EventKind::Resumed { count: 1 }));
    let download = &model.downloads[0];
    let limit = Duration::from_secs(10);
    // Held from 1 s to 7 s: six seconds, not six plus the four stopped.
    assert_eq!(
        download.time_left(limit, ms(8_000)),
        Some(Duration::from_millis(8_000))
    );
    assert_eq!(download.idle(ms(8_000)), Some(Duration::from_millis(1_900)));
}

#[test]
fn a_retry_countdown_stands_still_while_stopped_or_paused() {
    let t0 = Instant::now();
    let ms = |n| t0 + Duration::from_millis(n);
    let mut model = Model::for_dashboard([Address::loopback(10000)], Limits::default());
    let connecting = EventKind::Connecting { attempt: 1, of: 3 };
    model.apply(&mut event(ms(0), 0, 1, connecting));
    let error = FetchError {
        address: Address::loopback(10000),
        reason: FailReason::Refused,
        received: 0,
        partial: Bytes::new(),
    };
    let retrying = EventKind::Retrying {
        attempt: 2,
        of: 3,
        after: Duration::from_secs(2),
        error,
    };
    model.apply(&mut event(ms(10), 0, 1, retrying));
    assert_eq!(
        model.downloads[0].retry_in(ms(510)),
        Some(Duration::from_millis(1_500))
    );
    // Stopped for 3 s (Ctrl-Z): the wait moves by it.
    let by = Duration::from_secs(3);
    model.shift(Shift {
        by,
        ended: ms(3_510),
    });
    assert_eq!(model.downloads[0].retry_at(), Some(ms(5_010)));
    assert_eq!(
        model.downloads[0].retry_in(ms(3_510)),
        Some(Duration::from_millis(1_500))
    );
    // Paused for 1 s: it stands still, then goes on.
    model.apply(&mut event(ms(4_010), 0, 1, EventKind::Paused { count: 1 }));
    assert_eq!(
        model.downloads[0].retry_in(ms(4_900)),
        Some(Duration::from_millis(1_000))
    );
    model.apply(&mut event(ms(5_010), 0, 1, EventKind::Resumed { count: 1 }));
    assert_eq!(
        model.downloads[0].retry_in(ms(5_010)),
        Some(Duration::from_millis(1_000))
    );
}

#[test]
fn a_stop_moves_only_the_clocks_from_before_it() {
    let t0 = Instant::now();
    let ms = |n| t0 + Duration::from_millis(n);
    let mut model = Model::for_dashboard([Address::loopback(10000)], Limits::default());
    first_bytes_at(&mut model, t0);
    // Stopped from 1 s to 11 s. At `fg` the server's bytes are read, and
    // their event reaches the model before the one that says how long the
    // stop was: its time is already the wall's, and must not move.
    model.apply(&mut event(ms(11_050), 0, 1, progress(", one", 15)));
    let by = Duration::from_secs(10);
    model.shift(Shift {
        by,
        ended: ms(11_000),
    });
    assert_eq!(
        model.downloads[0].idle(ms(11_100)),
        Some(Duration::from_millis(50))
    );
}

#[test]
fn the_log_says_each_event_in_the_shared_words_after_the_server() {
    let t0 = Instant::now();
    let ms = |n| t0 + Duration::from_millis(n);
    let mut model = Model::for_dashboard((10000..10004).map(Address::loopback), Limits::default());
    let refused = |port| FetchError {
        address: Address::loopback(port),
        reason: FailReason::Refused,
        received: 0,
        partial: Default::default(),
    };
    model.apply(&mut event(
        ms(0),
        0,
        1,
        EventKind::Connecting { attempt: 1, of: 2 },
    ));
    model.apply(&mut event(
        ms(5),
        0,
        1,
        EventKind::Retrying {
            attempt: 2,
            of: 2,
            after: Duration::from_millis(400),
            error: refused(10000),
        },
    ));
    model.apply(&mut event(
        ms(6),
        1,
        1,
        EventKind::Cancelled { received: 7 },
    ));
    model.apply(&mut event(
        ms(9),
        0,
        1,
        EventKind::Failed {
            error: refused(10000),
        },
    ));
    model.apply(&mut event(
        ms(10),
        2,
        1,
        EventKind::CancelledWaiting { count: 2 },
    ));
    let lines: Vec<&str> = model.log.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        lines,
        [
            "127.0.0.1:10000 failed: connection refused (got 0 bytes); retrying in 0.4 s (attempt 2 of 2)",
            "127.0.0.1:10001 cancelled (got 7 bytes)",
            "127.0.0.1:10000 failed: connection refused (got 0 bytes)",
            "tasks 3 to 4 (2): cancelled while waiting in line",
        ]
    );
    let levels: Vec<LogLevel> = model.log.iter().map(|e| e.level).collect();
    assert_eq!(
        levels,
        [
            LogLevel::Warning,
            LogLevel::Warning,
            LogLevel::Bad,
            LogLevel::Info
        ]
    );
}

#[test]
fn a_headless_model_counts_bytes_but_keeps_no_clocks() {
    // Headless output reads outcomes only: the per-download clocks (time
    // left, idle, rate, elapsed) are the dashboard's, and a headless
    // download allocates nothing for them, while the same events give the
    // dashboard's model all of them.
    let t0 = Instant::now();
    let ms = |n| t0 + Duration::from_millis(n);
    let feed = |model: &mut Model| {
        model.apply(&mut event(
            ms(0),
            0,
            1,
            EventKind::Connecting { attempt: 1, of: 1 },
        ));
        model.apply(&mut event(
            ms(3),
            0,
            1,
            EventKind::Connected {
                connect_time: Duration::from_millis(3),
            },
        ));
        model.apply(&mut event(ms(9), 0, 1, progress("a poem", 6)));
    };
    let mut headless = Model::new([Address::loopback(10000)]);
    feed(&mut headless);
    let mut dashboard = Model::for_dashboard([Address::loopback(10000)], Limits::default());
    feed(&mut dashboard);
    for model in [&headless, &dashboard] {
        let download = &model.downloads[0];
        assert_eq!(download.state, State::Receiving);
        assert_eq!(download.received, 6);
        assert_eq!(download.poem.contiguous().as_ref(), b"a poem");
    }
    let (headless, dashboard) = (&headless.downloads[0], &dashboard.downloads[0]);
    assert_eq!(headless.first_attempt_started(), None);
    assert_eq!(headless.idle(ms(10)), None);
    assert_eq!(headless.times(), AttemptTimes::default());
    assert_eq!(dashboard.first_attempt_started(), Some(ms(0)));
    assert_eq!(dashboard.idle(ms(10)), Some(Duration::from_millis(1)));
    assert_eq!(dashboard.times().connect, Some(Duration::from_millis(3)));
    assert_eq!(dashboard.times().first_byte, Some(Duration::from_millis(9)));
}

#[test]
fn downloads_of_one_address_share_it_and_a_name_makes_another() {
    // A list that repeats its servers (W4: a thousand ports a hundred times
    // each; M1: ten ports for a million rows) holds each address once.
    let mut model = Model::new([]);
    let (_, first) = model.add(vec![Address::loopback(10000), Address::loopback(10001)]);
    let (_, again) = model.add(vec![
        Address::loopback(10000),
        Address::loopback(10000).named("donne"),
    ]);
    assert!(
        Arc::ptr_eq(&first[0], &again[0]),
        "the same address, shared"
    );
    assert!(!Arc::ptr_eq(&first[0], &first[1]));
    assert!(
        !Arc::ptr_eq(&first[0], &again[1]),
        "a name is another address"
    );
    assert_eq!(again[1].label(), Some("donne"));
    assert!(Arc::ptr_eq(&model.downloads[2].address, &first[0]));
    assert_eq!(model.downloads.len(), 4);
}

#[test]
fn an_ended_short_poem_keeps_no_detail_yet_shows_what_it_showed_while_running() {
    // Two short poems and a long one end in the dashboard's model. The short
    // ones move back to back into one shared buffer and let go of their
    // detail (index and times); their line and control counts, time and
    // average rate read the same after the end as the index gave before it.
    let t0 = Instant::now();
    let ms = |n| t0 + Duration::from_millis(n);
    let short = ["one\ntwo\u{1b}[31m\nthree", "Sat we two\n"];
    let long = "a long line of the poem\n".repeat(200);
    let texts = [short[0].to_string(), short[1].to_string(), long.clone()];
    let mut model = Model::for_dashboard((10000..10003).map(Address::loopback), Limits::default());
    for (task, text) in texts.iter().enumerate() {
        let kind = EventKind::Connecting { attempt: 1, of: 1 };
        model.apply(&mut event(ms(0), task, 1, kind));
        model.apply(&mut event(
            ms(20),
            task,
            1,
            progress(text, text.len() as u64),
        ));
    }
    let running: Vec<(usize, usize)> = model
        .downloads
        .iter()
        .map(|d| (d.line_count(), d.control_chars()))
        .collect();
    assert_eq!(running[0].0, 3);
    assert!(running[0].1 > 0, "the escape is counted");
    assert_eq!(running[2].0, 200);
    for (task, text) in texts.iter().enumerate() {
        let kind = EventKind::Finished {
            received: text.len() as u64,
            times: AttemptTimes::default(),
        };
        model.apply(&mut event(ms(100), task, 1, kind));
    }
    for (task, text) in texts.iter().enumerate() {
        let download = &model.downloads[task];
        assert_eq!(download.poem.to_vec(), text.as_bytes());
        assert_eq!(
            (download.line_count(), download.control_chars()),
            running[task]
        );
        assert_eq!(download.elapsed(ms(500)), Some(Duration::from_millis(100)));
        let rate = download.average_rate(ms(500)).unwrap();
        assert!((rate - text.len() as f64 / 0.1).abs() < 1e-6, "{rate}");
    }
    let (a, b) = (&model.downloads[0].poem, &model.downloads[1].poem);
    let (a, b) = (a.segments().next().unwrap(), b.segments().next().unwrap());
    assert_eq!(
        a.as_ptr().wrapping_add(a.len()),
        b.as_ptr(),
        "short poems share one buffer, back to back"
    );
    assert!(!model.downloads[0].keeps_detail());
    assert!(!model.downloads[1].keeps_detail());
    assert!(
        model.downloads[2].keeps_detail(),
        "a long poem keeps its index"
    );
}
