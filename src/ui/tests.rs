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
            generation: 1,
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
            show(frame, &scene.model, view, now, &Theme::new(color));
        })
        .expect("draws");
    terminal
}

/// Every row of what `terminal` shows, as text.
fn text_of(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

#[test]
fn the_layout_changes_exactly_at_its_thresholds() {
    let scene = every_state();
    // Below the minimum in either direction: only the message.
    for (width, height) in [(MIN_WIDTH - 1, 30), (120, MIN_HEIGHT - 1)] {
        let mut view = View::default();
        let text = text_of(&render(&scene, &mut view, width, height, false));
        assert!(
            text.contains("Terminal too small"),
            "{width}x{height}:\n{text}"
        );
    }
    let mut view = View::default();
    let text = text_of(&render(&scene, &mut view, MIN_WIDTH, MIN_HEIGHT, false));
    assert!(
        !text.contains("Terminal too small"),
        "the minimum is enough:\n{text}"
    );
    // The log pane from the compact layout's edge on, in either direction;
    // focus on it goes back to the table where it is not drawn.
    for (width, height, log) in [
        (COMPACT_WIDTH, COMPACT_HEIGHT, true),
        (COMPACT_WIDTH - 1, COMPACT_HEIGHT, false),
        (COMPACT_WIDTH, COMPACT_HEIGHT - 1, false),
    ] {
        let mut view = View {
            focus: Focus::Log,
            ..View::default()
        };
        render(&scene, &mut view, width, height, false);
        assert_eq!(view.log_shown, log, "{width}x{height}");
        let focus = if log { Focus::Log } else { Focus::Table };
        assert_eq!(view.focus, focus, "{width}x{height}");
    }
}

#[test]
fn the_log_scrolled_back_past_its_oldest_entry_stops_there() {
    let scene = every_state();
    let entries = scene.model.log.len();
    assert!(entries > 3, "a log to scroll: {entries}");
    let mut view = View {
        log_back: 1000,
        ..View::default()
    };
    let text = text_of(&render(&scene, &mut view, 120, 40, false));
    // The oldest entry at the top, the pane filled with those after it.
    assert!(
        view.log_back < entries,
        "kept to what fills the pane: {}",
        view.log_back
    );
    let back = view.log_back;
    render(&scene, &mut view, 120, 40, false);
    assert_eq!(view.log_back, back, "and it stays there");
    if back > 0 {
        assert!(text.contains(&format!("↓{back} more")), "{text}");
    }
    let oldest = &scene.model.log[0].message;
    let start: String = oldest.chars().take(12).collect();
    assert!(
        text.contains(&start),
        "the oldest entry shows ({start}):\n{text}"
    );
}

#[test]
fn the_poem_pane_says_following_only_for_a_poem_still_arriving() {
    let scene = every_state();
    let pick = |wanted: &dyn Fn(&crate::model::Download) -> bool| {
        scene
            .model
            .tasks()
            .find(|&task| wanted(&scene.model[task]))
            .expect("such a download in the scene")
    };
    let arriving = pick(&|d| !d.state.is_final() && d.received > 0);
    let silent = pick(&|d| !d.state.is_final() && d.received == 0);
    let ended = pick(&|d| d.state.is_final() && d.received > 0);
    for (task, following) in [(arriving, true), (silent, false), (ended, false)] {
        let mut view = View {
            selected: Some(task),
            ..View::default()
        };
        let text = text_of(&render(&scene, &mut view, 120, 40, false));
        let title = text
            .lines()
            .find(|line| line.contains("┌ Poem"))
            .expect("the poem pane's title")
            .to_string();
        assert_eq!(
            title.contains("following"),
            following,
            "task {task}: {title}"
        );
    }
}

#[test]
fn the_gallery_shows_a_page_there_is() {
    let scene = every_state();
    let mut view = View {
        gallery: true,
        gallery_page: usize::MAX,
        ..View::default()
    };
    let text = text_of(&render(&scene, &mut view, 120, 40, false));
    assert!(view.gallery_page < usize::MAX, "the page kept in range");
    let page = format!(
        "page {} of {} ",
        view.gallery_page + 1,
        view.gallery_page + 1
    );
    assert!(text.contains(&page), "the last page, {page}:\n{text}");
    // The view knows the cards drawn: their poems are the ones the run
    // loop indexes before the next frame.
    assert!(!view.gallery_cards.is_empty());
    for task in &view.gallery_cards {
        assert!(
            text.contains(&format!(" {task} · ")),
            "card {task}:\n{text}"
        );
    }
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
    let log_text: Vec<String> = screen
        .lines()
        .filter_map(|l| l.split("││").nth(1))
        .map(|row| row.trim_matches(['│', ' ', '"']).to_string())
        .collect();
    assert!(
        log_text
            .join(" ")
            .contains("reset, poem truncated (got 300 bytes)"),
        "the reason wraps onto the next rows, whole:\n{screen}"
    );
    // Wrapped rows hang under the message: the times stay a column.
    let continued = screen
        .lines()
        .filter_map(|l| l.split("││").nth(1))
        .find(|row| row.contains("reset, poem truncated"))
        .unwrap_or_default();
    assert!(continued.starts_with("       "), "{continued:?}");
    view.handle(Action::FocusNext, &scene.model, now);
    view.handle(Action::FocusNext, &scene.model, now);
    view.handle(Action::First, &scene.model, now);
    let screen = format!("{}", render(&scene, &mut view, 100, 28, true).backend());
    let log_rows: Vec<&str> = screen
        .lines()
        .filter_map(|l| l.split("││").nth(1))
        .collect();
    assert!(
        log_rows[0].contains("#2 127.0.0.1:10001 complete"),
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
                show(frame, &scene.model, &mut view, now, &Theme::new(true));
            })
            .unwrap();
        let without = format!("{}", terminal.backend());
        terminal
            .draw(|frame| {
                let areas = show(frame, &scene.model, &mut view, now, &Theme::new(true));
                overlay::draw(frame, areas.poem, &stats, &Theme::new(true), false);
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

fn screen_of(scene: &Scene, view: &mut View, width: u16, height: u16) -> String {
    format!("{}", render(scene, view, width, height, true).backend())
}

/// 1,196 rows, ten of them matching "srv-11", two of which are active.
fn many_named() -> Scene {
    let addresses = (0..1196u16).map(|i| Address::loopback(20000 + i).named(&format!("srv-{i}")));
    let mut s = Scene {
        model: Model::for_dashboard(addresses, Limits::default()),
        t0: Instant::now(),
    };
    for task in [11, 110] {
        s.start(0, task, 1);
    }
    s
}

#[test]
fn hidden_rows_are_said_at_every_width_before_the_sort_label() {
    let scene = many_named();
    let now = scene.at(10_000);
    let mut view = View {
        search: "srv-11".into(),
        filter: crate::model::view::Filter::Active,
        ..View::default()
    };
    view.handle(Action::First, &scene.model, now);
    let hidden = 1196 - view.rows(&scene.model, now).len();
    assert!(hidden > 1000);
    for width in [40, 50, 60, 80, 120, 160, 250] {
        let screen = screen_of(&scene, &mut view, width, 24);
        let title = screen.lines().nth(1).unwrap_or_default();
        assert!(
            title.contains(&format!("{hidden} hidden")),
            "at {width}: the hidden rows unsaid: {title}"
        );
    }
    let wide = screen_of(&scene, &mut view, 160, 24);
    assert!(
        wide.contains(&format!(
            "({hidden} hidden by filter:active search:\"srv-11\")"
        )),
        "{wide}"
    );
}

#[test]
fn a_long_name_keeps_the_number_the_state_and_the_whole_port() {
    let name = "abcdefghijklmnopqrstuvwxyz012345";
    let limits = Limits {
        idle_timeout: Duration::from_secs(5),
        ..Limits::default()
    };
    let addresses = [
        Address::loopback(40104).named(name),
        Address::new("2001:db8:85a3::8a2e:370:7334", 35703).named("v6-server-number-one"),
    ];
    let mut scene = Scene {
        model: Model::for_dashboard(addresses, limits),
        t0: Instant::now(),
    };
    scene.start(0, 0, 1);
    scene.start(0, 1, 1);
    // A stalled server: only the Idle column shows it.
    scene.stream(2, 1, "x", 1, 1);
    for (width, height) in [(40, 10), (50, 10), (80, 24), (120, 30)] {
        let screen = screen_of(&scene, &mut View::default(), width, height);
        let row = screen
            .lines()
            .find(|line| line.contains(":40104"))
            .unwrap_or_else(|| panic!("no row with its whole port at {width}:\n{screen}"));
        assert!(row.starts_with("\"│ 1 "), "the number at {width}: {row}");
        assert!(row.contains("◌ waiting"), "the state at {width}: {row}");
        assert!(
            row.contains("abcdefg"),
            "the name's start at {width}: {row}"
        );
    }
    // At 80x24 the named IPv6 row leaves room for Idle and Try.
    let screen = screen_of(&scene, &mut View::default(), 80, 24);
    let header = screen.lines().nth(2).unwrap_or_default();
    assert!(
        header.contains("Idle") && header.contains("Try"),
        "{screen}"
    );
    assert!(screen.contains("]:35703"), "{screen}");
}

#[test]
fn the_poem_pane_says_where_it_is_and_end_follows_the_tail_again() {
    let mut scene = Scene {
        model: Model::for_dashboard([Address::loopback(10000)], Limits::default()),
        t0: Instant::now(),
    };
    scene.start(0, 0, 1);
    let poem: String = (0..60).map(|i| format!("line {i}\n")).collect();
    scene.stream(2, 0, &poem[..300], 50, 10);
    let now = scene.at(10_000);
    let mut view = View::default();
    assert!(screen_of(&scene, &mut view, 80, 24).contains("following"));
    view.handle(Action::FocusNext, &scene.model, now);
    view.handle(Action::Up, &scene.model, now);
    view.handle(Action::Up, &scene.model, now);
    let screen = screen_of(&scene, &mut view, 80, 24);
    assert!(screen.contains("↓2 more"), "{screen}");
    // More arrives: the pane stays where it was, and says how much is below.
    scene.stream(9_000, 0, &poem[300..], 50, 1);
    let screen = screen_of(&scene, &mut view, 80, 24);
    assert!(!screen.contains("following"), "{screen}");
    view.handle(Action::Last, &scene.model, now);
    let screen = screen_of(&scene, &mut view, 80, 24);
    assert!(screen.contains("following"), "End follows: {screen}");
    assert!(screen.contains("line 59"), "{screen}");
}

#[test]
fn a_gallery_card_never_cuts_a_port() {
    let addresses = [Address::new("poems-server-with-a-long-name.example", 35703)];
    let mut scene = Scene {
        model: Model::for_dashboard(addresses, Limits::default()),
        t0: Instant::now(),
    };
    scene.start(0, 0, 1);
    scene.stream(2, 0, SCIENCE, 100, 10);
    scene.finish(100, 0, SCIENCE.len() as u64);
    let mut view = View::default();
    view.handle(Action::ToggleGallery, &scene.model, scene.at(10_000));
    for width in [40, 60, 80, 100, 120, 250] {
        let screen = screen_of(&scene, &mut view, width, 24);
        let card = screen.lines().nth(2).unwrap_or_default();
        assert!(card.contains(":35703 "), "at {width}: {card}");
    }
}

#[test]
fn the_failed_filter_shows_what_the_header_counts_and_an_empty_table_says_what_hid_it() {
    let scene = every_state();
    let now = scene.at(10_000);
    let totals = scene.model.totals();
    let mut view = View {
        filter: crate::model::view::Filter::Failed,
        ..View::default()
    };
    assert_eq!(view.rows(&scene.model, now).len(), totals.failed);
    view.filter = crate::model::view::Filter::Cancelled;
    assert_eq!(view.rows(&scene.model, now).len(), totals.cancelled);
    // The filter lets rows through and the search hides them all.
    view.filter = crate::model::view::Filter::Complete;
    view.search = "no such name".into();
    let screen = screen_of(&scene, &mut view, 100, 28);
    assert!(
        screen.contains("3 complete but none matches the search"),
        "{screen}"
    );
    // The filter alone hides every row.
    let mut scene = every_state();
    scene.model = Model::for_dashboard([Address::loopback(1)], Limits::default());
    let mut view = View {
        filter: crate::model::view::Filter::Failed,
        search: "127".into(),
        ..View::default()
    };
    let screen = screen_of(&scene, &mut view, 100, 28);
    assert!(screen.contains("no failed downloads"), "{screen}");
}

#[test]
fn left_runs_while_waiting_to_retry_and_bytes_never_go_back() {
    let limits = Limits {
        deadline: Some(Duration::from_secs(50)),
        ..Limits::default()
    };
    let mut scene = Scene {
        model: Model::for_dashboard([Address::loopback(10000)], limits),
        t0: Instant::now(),
    };
    scene.start(0, 0, 3);
    scene.stream(2, 0, "hello", 5, 1);
    let address = (*scene.model.downloads[0].address).clone();
    let error = FetchError {
        address,
        reason: FailReason::Reset,
        received: 5,
        partial: Bytes::new(),
    };
    scene.feed(
        100,
        0,
        EventKind::Retrying {
            attempt: 2,
            of: 3,
            after: Duration::from_millis(200),
            error,
        },
    );
    // Back in line after the backoff, behind -j.
    scene.feed(300, 0, EventKind::Queued { count: 1 });
    let screen = screen_of(&scene, &mut View::default(), 120, 24);
    let row = screen
        .lines()
        .find(|line| line.contains("127.0.0.1:10000"))
        .unwrap_or_default();
    assert!(row.contains("40.0 s"), "Left counts: {row}");
    assert!(row.contains("5 B"), "{row}");
    assert!(
        row.contains("1/3"),
        "the attempt that ran, not the next: {row}"
    );
    // The deadline passes in line: the bytes the row showed stay.
    scene.fail(50_000, 0, FailReason::Deadline(Duration::from_secs(50)), 5);
    let screen = screen_of(&scene, &mut View::default(), 120, 24);
    let row = screen
        .lines()
        .find(|line| line.contains("127.0.0.1:10000"))
        .unwrap_or_default();
    assert!(row.contains("5 B") && row.contains("1/3"), "{row}");
}

#[test]
fn at_40x10_both_scroll_counts_show_and_an_ended_run_says_done() {
    let scene = every_state();
    let now = scene.at(10_000);
    let mut view = View::default();
    for _ in 0..5 {
        view.handle(Action::Down, &scene.model, now);
    }
    view.table_offset = 3;
    view.handle(Action::Down, &scene.model, now);
    let screen = screen_of(&scene, &mut view, 40, 10);
    let title = screen.lines().nth(1).unwrap_or_default();
    assert!(title.contains('↑') && title.contains('↓'), "{title}");
    let mut done = Scene {
        model: Model::for_dashboard([Address::loopback(10000)], Limits::default()),
        t0: scene.t0,
    };
    done.start(0, 0, 1);
    done.finish(17_700, 0, 0);
    let screen = screen_of(&done, &mut View::default(), 80, 24);
    assert!(
        screen
            .lines()
            .next()
            .unwrap_or_default()
            .contains("done 0:00:17.7"),
        "{screen}"
    );
    let screen = screen_of(&done, &mut View::default(), 120, 24);
    assert!(
        screen
            .lines()
            .next()
            .unwrap_or_default()
            .contains("done in 0:00:17.7"),
        "{screen}"
    );
}

#[test]
fn the_header_rate_is_the_sum_of_the_rows_and_a_paused_row_reads_zero() {
    let mut scene = every_state();
    let now = scene.at(10_000);
    let sum: f64 = scene.model.downloads.iter().map(|d| d.rate(now)).sum();
    assert!(sum > 0.0);
    assert_eq!(scene.model.rate(now), sum);
    scene.feed(9_999, 0, EventKind::Paused { count: 1 });
    assert_eq!(scene.model.downloads[0].rate(now), 0.0, "at once");
    let sum: f64 = scene.model.downloads.iter().map(|d| d.rate(now)).sum();
    assert_eq!(scene.model.rate(now), sum);
}

#[test]
fn columns_stay_put_as_the_rows_in_view_change() {
    let mut addresses: Vec<Address> = (0..30).map(|i| Address::loopback(10000 + i)).collect();
    addresses.push(Address::loopback(10030).named("a-much-longer-name"));
    let mut scene = Scene {
        model: Model::for_dashboard(addresses, Limits::default()),
        t0: Instant::now(),
    };
    for task in 0..31 {
        scene.start(0, task, 10);
    }
    let now = scene.at(10_000);
    let mut view = View::default();
    let header = |view: &mut View, scene: &Scene| {
        screen_of(scene, view, 120, 24)
            .lines()
            .nth(2)
            .unwrap_or_default()
            .to_string()
    };
    view.handle(Action::Last, &scene.model, now);
    let at_end = header(&mut view, &scene);
    view.handle(Action::First, &scene.model, now);
    let at_start = header(&mut view, &scene);
    assert_eq!(at_start, at_end, "columns kept their places");
}

#[test]
fn the_footer_says_what_the_keys_do_now() {
    let scene = every_state();
    let now = scene.at(10_000);
    let footer = |view: &mut View, scene: &Scene| {
        screen_of(scene, view, 120, 40)
            .lines()
            .last()
            .unwrap_or_default()
            .to_string()
    };
    let mut view = View::default();
    assert!(footer(&mut view, &scene).contains("↑↓ select"));
    view.handle(Action::FocusNext, &scene.model, now);
    let text = footer(&mut view, &scene);
    assert!(
        text.contains("↑↓ scroll") && text.contains("Esc table"),
        "{text}"
    );
    view.handle(Action::Back, &scene.model, now);
    view.handle(Action::ToggleGallery, &scene.model, now);
    assert!(footer(&mut view, &scene).contains("q close"));
    view.handle(Action::ToggleGallery, &scene.model, now);
    // A question waits for its answer in the footer.
    view.handle(Action::Quit, &scene.model, now);
    let text = footer(&mut view, &scene);
    assert!(text.contains("q again to quit"), "{text}");
    view.handle(Action::Down, &scene.model, now);
    // On a paused row, space resumes.
    let mut scene = every_state();
    scene.feed(9_999, 0, EventKind::Paused { count: 1 });
    let mut view = View::default();
    view.handle(Action::First, &scene.model, now);
    assert!(footer(&mut view, &scene).contains("space resume"));
    view.handle(Action::OpenFind, &scene.model, now);
    assert!(footer(&mut view, &scene).contains("Esc clear"));
}

#[test]
fn the_add_prompt_error_is_shown_whole_and_a_small_screen_says_what_keys_do() {
    let scene = every_state();
    let now = scene.at(10_000);
    let mut view = View::default();
    view.handle(Action::OpenAdd, &scene.model, now);
    view.prompt_input(crate::model::view::PromptInput::Text(
        "127.0.0.1:99999".into(),
    ));
    let error = "bad address \"127.0.0.1:99999\" (address 1 typed): port must be 1-65535";
    view.prompt_failed(error.into());
    for width in [80, 120] {
        let screen = screen_of(&scene, &mut view, width, 24);
        let footer: Vec<&str> = screen.lines().rev().take(2).collect();
        assert!(footer.join("").contains(error), "at {width}: {footer:?}");
        assert!(footer[0].contains("Enter add"), "at {width}: {footer:?}");
    }
    let screen = screen_of(&scene, &mut view, 30, 8);
    assert!(screen.contains("Esc closes it"), "{screen}");
}

#[test]
fn the_help_has_a_legend_of_the_symbols() {
    let scene = every_state();
    let mut view = View::default();
    view.handle(Action::ToggleHelp, &scene.model, scene.at(10_000));
    view.help_scroll = usize::MAX;
    let screen = screen_of(&scene, &mut view, 100, 60);
    for (symbol, _) in help::LEGEND {
        assert!(screen.contains(symbol), "{symbol} missing:\n{screen}");
    }
    assert!(screen.contains("Symbols"), "{screen}");
}

#[test]
fn the_selected_row_has_one_fixed_foreground_on_a_fixed_background() {
    let scene = every_state();
    let mut view = View::default();
    view.handle(Action::First, &scene.model, scene.at(10_000));
    let terminal = render(&scene, &mut view, 120, 40, true);
    let buffer = terminal.backend().buffer();
    // Row 1 of the table is the fourth line of the screen.
    let cells: Vec<_> = (1..119).map(|x| &buffer[(x, 3)]).collect();
    assert!(cells.iter().any(|c| c.symbol() == "▸"));
    for cell in cells {
        assert_eq!(cell.fg, theme::selected_fg(), "{:?}", cell.symbol());
        assert_eq!(cell.bg, theme::selected_bg());
    }
    // No text in a colour that fades on a light or a dark background:
    // yellow nowhere; dark grey only on borders and the symbols of rows at
    // rest.
    for cell in buffer.content() {
        assert_ne!(
            cell.fg,
            ratatui::style::Color::Yellow,
            "{:?}",
            cell.symbol()
        );
        if cell.fg == ratatui::style::Color::DarkGray {
            assert!(
                "─│┌┐└┘·⊘ ".contains(cell.symbol()),
                "dark grey text: {:?}",
                cell.symbol()
            );
        }
    }
}

#[test]
fn over_the_gallery_the_overlay_covers_no_card() {
    let scene = every_state();
    let now = scene.at(10_000);
    let stats = overlay::Stats {
        frame_time: Duration::from_micros(350),
        frames_per_second: 30,
        ..overlay::Stats::default()
    };
    let mut view = View::default();
    view.handle(Action::ToggleGallery, &scene.model, now);
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    terminal
        .draw(|frame| {
            show(frame, &scene.model, &mut view, now, &Theme::new(true));
        })
        .unwrap();
    let without = format!("{}", terminal.backend());
    terminal
        .draw(|frame| {
            let areas = show(frame, &scene.model, &mut view, now, &Theme::new(true));
            overlay::draw(frame, areas.poem, &stats, &Theme::new(true), true);
        })
        .unwrap();
    let with = format!("{}", terminal.backend());
    let (before, after): (Vec<&str>, Vec<&str>) =
        (without.lines().collect(), with.lines().collect());
    // Only the gallery's bottom border changed.
    let changed: Vec<usize> = (0..before.len())
        .filter(|&i| before[i] != after[i])
        .collect();
    assert_eq!(changed, [before.len() - 2], "{with}");
    assert!(after[before.len() - 2].contains("f/s"), "{with}");
}

#[test]
fn a_chains_end_states_are_whole_at_80_columns_and_wide() {
    use crate::engine::{TransformError, TransformFailure, TransformStep};
    let step = |name: &str, port| TransformStep {
        name: name.into(),
        address: std::sync::Arc::new(Address::loopback(port)),
    };
    let steps = [
        step("cummingsify", 11000),
        step("shout", 11001),
        step("reverse", 11002),
    ];
    let mut scene = Scene {
        model: Model::for_dashboard([Address::loopback(10000)], Limits::default())
            .with_transforms(&steps),
        t0: Instant::now(),
    };
    scene.start(0, 0, 1);
    scene.stream(2, 0, SCIENCE, 608, 1);
    let received = SCIENCE.len() as u64;
    // Each step's phases come first, as the engine sends them.
    for step in 0..3u16 {
        scene.feed(
            15 + 10 * u64::from(step),
            0,
            EventKind::Transforming {
                step,
                of: 3,
                phase: crate::engine::StepPhase::Waiting,
            },
        );
    }
    scene.feed(
        20,
        0,
        EventKind::Transformed {
            step: 0,
            poem: Bytes::from(SCIENCE.to_lowercase()),
        },
    );
    scene.feed(
        30,
        0,
        EventKind::TransformFailed {
            step: 1,
            error: TransformError {
                step: steps[1].clone(),
                failure: TransformFailure::NoReply,
            },
        },
    );
    scene.feed(
        40,
        0,
        EventKind::Transformed {
            step: 2,
            poem: Bytes::from(SCIENCE.to_lowercase()),
        },
    );
    scene.feed(
        50,
        0,
        EventKind::Finished {
            received,
            times: AttemptTimes::default(),
        },
    );
    for (width, label) in [(80, "✓ 2/3 steps "), (160, "✓ transformed 2/3 ")] {
        let screen = format!(
            "{}",
            render(&scene, &mut View::default(), width, 24, true).backend()
        );
        let row = screen
            .lines()
            .find(|l| l.contains("127.0.0.1:10000"))
            .unwrap_or_default();
        assert!(row.contains(label), "{width} columns: {row}");
    }
}
