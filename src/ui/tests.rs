//! Whole-screen snapshots of the dashboard, driven by feeding events to the
//! model: no terminal, no sockets, fixed times.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::address::Address;
use crate::engine::{AttemptTimes, Event, EventKind, FailReason, FetchError, Limits, TaskId};
use crate::model::view::Action;

const ECSTASY: &str = include_str!("../../assets/poems/ecstasy.txt");
const SCIENCE: &str = include_str!("../../assets/poems/science.txt");

struct Scene {
    model: Model,
    t0: Instant,
}

impl Scene {
    fn at(&self, ms: u64) -> Instant {
        self.t0 + Duration::from_millis(ms)
    }

    fn feed(&mut self, ms: u64, task: usize, kind: EventKind) {
        let at = self.at(ms);
        self.model.apply(&mut Event {
            task: TaskId::at(task),
            run: 1,
            at,
            kind,
        });
    }

    fn start(&mut self, ms: u64, task: usize, of: u32) {
        self.feed(ms, task, EventKind::Queued { count: 1 });
        self.feed(ms, task, EventKind::Connecting { attempt: 1, of });
        self.feed(
            ms + 1,
            task,
            EventKind::Connected {
                connect_time: Duration::from_millis(1),
            },
        );
    }

    /// Sends `text` in pieces of `size`, one every `every` ms from `ms`.
    fn stream(
        &mut self,
        ms: u64,
        task: usize,
        text: impl AsRef<[u8]>,
        size: usize,
        every: u64,
    ) -> u64 {
        let mut received = 0;
        let mut at = ms;
        for piece in text.as_ref().chunks(size) {
            received += piece.len() as u64;
            self.feed(
                at,
                task,
                EventKind::Progress {
                    data: vec![BytesMut::from(piece)],
                    received,
                },
            );
            at += every;
        }
        at
    }

    fn finish(&mut self, ms: u64, task: usize, received: u64) {
        let times = AttemptTimes {
            connect: Some(Duration::from_millis(1)),
            first_byte: Some(Duration::from_millis(2)),
            total: Duration::from_millis(ms),
        };
        self.feed(ms, task, EventKind::Finished { received, times });
    }

    fn fail(&mut self, ms: u64, task: usize, reason: FailReason, received: u64) {
        let address = (*self.model.downloads[task].address).clone();
        let error = FetchError {
            address,
            reason,
            received,
            partial: Bytes::new(),
        };
        self.feed(ms, task, EventKind::Failed { error });
    }
}

/// Every state at once, as the demo shows them about ten seconds in.
fn every_state() -> Scene {
    let limits = Limits {
        idle_timeout: Duration::from_secs(5),
        deadline: Some(Duration::from_secs(50)),
        max_bytes: Some(4096),
        ..Limits::default()
    };
    let addresses = (10000..10013).map(Address::loopback);
    let mut s = Scene {
        model: Model::for_dashboard(addresses, limits),
        t0: Instant::now(),
    };
    s.start(0, 0, 3);
    s.stream(2, 0, &ECSTASY[..900], 30, 300);
    s.start(0, 1, 3);
    let end = s.stream(2, 1, SCIENCE, 60, 500);
    s.finish(end, 1, SCIENCE.len() as u64);
    s.start(0, 2, 3);
    s.stream(2, 2, "Tyger Tyger, burning bright,\n", 100, 1);
    s.finish(5, 2, 29);
    s.feed(0, 3, EventKind::Queued { count: 1 });
    s.feed(0, 4, EventKind::Queued { count: 1 });
    s.feed(9_990, 4, EventKind::Connecting { attempt: 1, of: 3 });
    s.feed(0, 5, EventKind::Connecting { attempt: 1, of: 3 });
    s.fail(1, 5, FailReason::Refused, 0);
    s.start(0, 6, 3);
    s.fail(5_002, 6, FailReason::IdleTimeout(Duration::from_secs(5)), 0);
    s.start(0, 7, 3);
    let end = s.stream(2, 7, &SCIENCE[..300], 20, 150);
    s.fail(end + 100, 7, FailReason::Reset, 300);
    s.start(0, 8, 3);
    s.stream(
        2,
        8,
        &"床前明月光，疑是地上霜。\n".repeat(120).as_bytes()[..4096],
        1024,
        400,
    );
    s.fail(1_300, 8, FailReason::TooLarge { limit: 4096 }, 4096);
    s.start(0, 9, 3);
    s.stream(2, 9, &ECSTASY[..120], 40, 700);
    s.feed(4_000, 9, EventKind::Cancelled { received: 120 });
    s.start(0, 10, 3);
    let address = (*s.model.downloads[10].address).clone();
    let error = FetchError {
        address,
        reason: FailReason::Refused,
        received: 0,
        partial: Bytes::new(),
    };
    s.feed(
        9_000,
        10,
        EventKind::Retrying {
            attempt: 2,
            of: 3,
            after: Duration::from_secs(4),
            error,
        },
    );
    s.start(0, 11, 3);
    s.finish(3, 11, 0);
    s.start(0, 12, 3);
    s.stream(2, 12, "Science! true daughter\n", 3, 2_000);
    s
}

fn render(
    scene: &Scene,
    view: &mut View,
    width: u16,
    height: u16,
    color: bool,
) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    let now = scene.at(10_000);
    terminal
        .draw(|frame| {
            draw(frame, &scene.model, view, now, &Theme::new(color));
        })
        .expect("draws");
    terminal
}

#[test]
fn snapshot_120x40_every_state() {
    let scene = every_state();
    let mut view = View::default();
    insta::assert_snapshot!(render(&scene, &mut view, 120, 40, true).backend());
}

#[test]
fn snapshot_80x24_compact_sorted_by_state() {
    let scene = every_state();
    let mut view = View::default();
    let now = scene.at(10_000);
    view.handle(Action::CycleSort, &scene.model, now);
    insta::assert_snapshot!(render(&scene, &mut view, 80, 24, true).backend());
}

#[test]
fn snapshot_60x20_narrow_with_a_partial_poem_selected() {
    let scene = every_state();
    let mut view = View::default();
    let now = scene.at(10_000);
    for _ in 0..7 {
        view.handle(Action::Down, &scene.model, now);
    }
    insta::assert_snapshot!(render(&scene, &mut view, 60, 20, false).backend());
}

#[test]
fn snapshot_too_small() {
    let scene = every_state();
    insta::assert_snapshot!(render(&scene, &mut View::default(), 30, 8, true).backend());
}

#[test]
fn snapshot_help_and_gallery() {
    let scene = every_state();
    let now = scene.at(10_000);
    let mut view = View::default();
    view.handle(Action::ToggleHelp, &scene.model, now);
    insta::assert_snapshot!("help", render(&scene, &mut view, 100, 30, true).backend());
    view.handle(Action::ToggleHelp, &scene.model, now);
    view.handle(Action::ToggleGallery, &scene.model, now);
    insta::assert_snapshot!(
        "gallery",
        render(&scene, &mut view, 100, 30, true).backend()
    );
}

#[test]
fn the_table_counts_rows_that_do_not_fit() {
    let scene = every_state();
    let mut view = View::default();
    let terminal = render(&scene, &mut view, 100, 24, true);
    let screen = format!("{}", terminal.backend());
    assert!(screen.contains("1–8 of 13"), "{screen}");
    assert!(screen.contains("↓5 more"), "{screen}");
}

#[test]
fn no_cell_holds_a_control_character_whatever_the_server_sent() {
    let mut scene = every_state();
    let hostile = "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{1b}]52;c;ZXZpbA==\u{7}\u{9b}31m\u{202e}evil\u{2066}\r\0\u{8}\ttab\u{1b}P+q\u{1b}\\\n";
    scene.stream(9_000, 0, hostile, 5, 1);
    let mut view = View::default();
    for (width, height) in [(120, 40), (80, 24), (60, 20)] {
        let terminal = render(&scene, &mut view, width, height, true);
        for cell in terminal.backend().buffer().content() {
            for c in cell.symbol().chars() {
                assert!(!c.is_control(), "control character {c:?} in a cell");
                assert!(
                    !('\u{202a}'..='\u{202e}').contains(&c)
                        && !('\u{2066}'..='\u{2069}').contains(&c)
                );
            }
        }
    }
    assert!(scene.model.downloads[0].control_chars() >= 10);
    let screen = format!("{}", render(&scene, &mut view, 120, 40, true).backend());
    assert!(
        screen.contains("^[[2J^[]0;pwned^G"),
        "shown, not dropped:\n{screen}"
    );
}

/// Every size named in the issue: every number whole with its unit (or its
/// column gone), and `? help` and `q quit` always in the footer.
#[test]
fn snapshots_at_every_size() {
    let scene = every_state();
    for (width, height) in [
        (40, 10),
        (41, 12),
        (60, 20),
        (80, 24),
        (100, 28),
        (120, 27),
        (120, 40),
        (250, 70),
    ] {
        let mut view = View::default();
        let terminal = render(&scene, &mut view, width, height, true);
        let screen = format!("{}", terminal.backend());
        let footer = screen.lines().last().unwrap_or_default();
        assert!(
            footer.contains("? help") && footer.contains("q quit"),
            "{width}x{height}: {footer}"
        );
        insta::assert_snapshot!(format!("size_{width}x{height}"), terminal.backend());
    }
}

#[test]
fn the_log_wraps_long_lines_and_home_shows_the_oldest() {
    let scene = every_state();
    let now = scene.at(10_000);
    let mut view = View::default();
    let screen = format!("{}", render(&scene, &mut view, 100, 28, true).backend());
    assert!(
        screen.contains("reset, poem truncated (got 300 bytes)"),
        "the reason wraps onto the next row, whole:\n{screen}"
    );
    view.handle(Action::FocusNext, &scene.model, now);
    view.handle(Action::FocusNext, &scene.model, now);
    view.handle(Action::First, &scene.model, now);
    let screen = format!("{}", render(&scene, &mut view, 100, 28, true).backend());
    let log_rows: Vec<&str> = screen
        .lines()
        .filter_map(|l| l.split("││").nth(1))
        .collect();
    assert!(
        log_rows[0].contains("#2 127.0.0.1:10001: complete"),
        "{screen}"
    );
    assert!(
        log_rows
            .iter()
            .filter(|r| r.trim_matches(['│', ' ', '"']).is_empty())
            .count()
            == 0,
        "no blank rows:\n{screen}"
    );
}

#[test]
fn the_overlay_hides_no_title_column_or_hint() {
    let scene = every_state();
    let now = scene.at(10_000);
    let stats = overlay::Stats {
        frame_time: Duration::from_micros(350),
        frames_per_second: 30,
        event_lag: Duration::from_micros(100),
        events_per_second: 12,
    };
    for (width, height) in [(40, 10), (80, 24), (120, 40)] {
        let mut view = View::default();
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|frame| {
                draw(frame, &scene.model, &mut view, now, &Theme::new(true));
            })
            .unwrap();
        let without = format!("{}", terminal.backend());
        terminal
            .draw(|frame| {
                let areas = draw(frame, &scene.model, &mut view, now, &Theme::new(true));
                overlay::draw(frame, areas.poem, &stats, &Theme::new(true));
            })
            .unwrap();
        let with = format!("{}", terminal.backend());
        let rows = |s: &str| s.lines().map(str::to_string).collect::<Vec<_>>();
        let (before, after) = (rows(&without), rows(&with));
        // The header, the table's title and column titles, the poem pane's
        // title and the footer are untouched.
        let poem_top = before
            .iter()
            .position(|r| r.contains("┌ Poem"))
            .expect("poem pane");
        for index in [0, 1, 2, poem_top, before.len() - 1] {
            assert_eq!(before[index], after[index], "{width}x{height} row {index}");
        }
        assert!(with.contains("f/s") || with.contains("frames/s"), "{with}");
    }
}

#[test]
fn a_gallery_card_cut_at_the_bottom_says_so() {
    let scene = every_state();
    let now = scene.at(10_000);
    let mut view = View::default();
    view.handle(Action::ToggleGallery, &scene.model, now);
    let screen = format!("{}", render(&scene, &mut view, 100, 12, true).backend());
    assert!(screen.contains("↓ more"), "{screen}");
    let screen = format!("{}", render(&scene, &mut view, 100, 40, true).backend());
    assert!(!screen.contains("↓ more"), "{screen}");
    assert!(
        screen.contains("PgUp PgDn page"),
        "the footer has the gallery's keys"
    );
}

#[test]
fn a_paused_download_says_so_in_its_row_and_the_header() {
    let mut scene = every_state();
    // Row 1 is receiving: held still at 9 s.
    scene.feed(9_000, 0, EventKind::Paused { count: 1 });
    let mut view = View::default();
    let terminal = render(&scene, &mut view, 120, 40, true);
    let screen = format!("{}", terminal.backend());
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains("‖ 1 paused"), "{header}");
    let row = screen
        .lines()
        .find(|l| l.contains("127.0.0.1:10000"))
        .unwrap_or_default();
    assert!(row.contains("‖ paused"), "{row}");
    // Its idle clock stopped at the pause, well short of a warning.
    assert!(!row.contains("!"), "no idle warning while paused: {row}");
}

#[test]
fn a_huge_timeout_shows_whole_in_days_at_80_and_120_columns() {
    // `-t 1e9`: the clock form (277777:46:40) fitted no column and was cut.
    let limits = Limits {
        deadline: Some(Duration::from_secs(1_000_000_000)),
        ..Limits::default()
    };
    let mut scene = Scene {
        model: Model::for_dashboard([Address::loopback(10000)], limits),
        t0: Instant::now(),
    };
    scene.start(0, 0, 1);
    scene.stream(2, 0, "Sat we two, one another's best.\n", 10, 100);
    for width in [80, 120] {
        let screen = render(&scene, &mut View::default(), width, 24, false)
            .backend()
            .to_string();
        let row = screen
            .lines()
            .find(|line| line.contains("127.0.0.1:10000"))
            .unwrap_or_else(|| panic!("no row at {width}:\n{screen}"));
        assert!(row.contains("11574d"), "at {width}: {row}");
    }
}
