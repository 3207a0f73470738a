//! The dashboard end to end: the real binary in a real terminal (tmux),
//! against our poetry servers on loopback. Every wait polls the screen with a
//! bound; none is a fixed sleep standing in for an assertion.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use poetry_dash::serve::{Behaviour, Pacing};

const SCIENCE: &str = include_str!("../assets/poems/science.txt");

/// A tmux server of our own (its own socket), so tests never touch a user's
/// sessions, and it is killed when the test ends however it ends.
struct Tmux {
    socket: String,
    dir: tempfile::TempDir,
}

impl Tmux {
    fn start(width: u16, height: u16, command: &str) -> Tmux {
        let dir = tempfile::tempdir().expect("temp dir");
        let socket = format!(
            "poetry-dash-test-{}-{}",
            std::process::id(),
            fastrand::u32(..)
        );
        let tmux = Tmux { socket, dir };
        let script = format!(
            "{command}; echo $? > {}; sleep 600",
            tmux.status_file().display()
        );
        let status = tmux
            .command()
            .args([
                "new-session",
                "-d",
                "-s",
                "dash",
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
            ])
            .args(["sh", "-c", &script])
            .status()
            .expect("tmux must be installed for this test (.ci/run installs it)");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        command.args(["-L", &self.socket, "-f", "/dev/null"]);
        command
    }

    fn status_file(&self) -> PathBuf {
        self.dir.path().join("status")
    }

    fn screen(&self) -> String {
        let output = self
            .command()
            .args(["capture-pane", "-p", "-t", "dash"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The screen and everything scrolled off it.
    fn history(&self) -> String {
        let output = self
            .command()
            .args(["capture-pane", "-p", "-S", "-", "-t", "dash"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn display(&self, format: &str) -> String {
        let output = self
            .command()
            .args(["display", "-p", "-t", "dash", format])
            .output()
            .expect("display");
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    fn keys(&self, keys: &str) {
        let status = self
            .command()
            .args(["send-keys", "-t", "dash", keys])
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    /// The process the pane's shell started for the command (its child).
    fn command_pid(&self) -> nix::unistd::Pid {
        let shell = self.display("#{pane_pid}");
        let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .expect("the pane's shell's children");
        let child = children
            .split_whitespace()
            .next()
            .and_then(|pid| pid.parse().ok())
            .expect("the command runs under the pane's shell");
        nix::unistd::Pid::from_raw(child)
    }

    fn resize(&self, width: u16, height: u16) {
        let status = self
            .command()
            .args(["resize-window", "-t", "dash", "-x", &width.to_string()])
            .args(["-y", &height.to_string()])
            .status()
            .expect("resize-window");
        assert!(status.success());
    }

    /// The terminal is as the dashboard found it: normal screen, cursor
    /// shown, no mouse reporting.
    fn assert_restored(&self, when: &str) {
        assert_eq!(
            self.display("#{alternate_on}"),
            "0",
            "alternate screen left {when}"
        );
        assert_eq!(self.display("#{cursor_flag}"), "1", "cursor visible {when}");
        assert_eq!(
            self.display("#{mouse_any_flag}"),
            "0",
            "mouse reporting off {when}"
        );
    }

    /// Polls the screen until `done` holds, failing after [`PATIENCE`].
    fn wait_for(&self, what: &str, mut done: impl FnMut(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn exit_status(&self) -> i32 {
        let started = Instant::now();
        loop {
            if let Ok(text) = std::fs::read_to_string(self.status_file())
                && let Ok(status) = text.trim().parse()
            {
                return status;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "the dashboard did not exit; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").status();
    }
}

/// Process ids whose parent is `pid`, from /proc.
fn children_of(pid: &str) -> Vec<String> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // The fields after the command name (which is in parentheses and
        // may hold spaces): state, then the parent's pid.
        let parent = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1));
        if parent == Some(pid) {
            children.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    children
}

/// The row of task `n` on screen, if shown.
fn row(screen: &str, n: usize) -> Option<&str> {
    let number = n.to_string();
    screen.lines().find(|line| {
        let mut words = line
            .strip_prefix('│')
            .unwrap_or_default()
            .split_whitespace();
        // The number, then the address (after a name, if it has one).
        words.next() == Some(number.as_str()) && words.take(2).any(|w| w.contains(':'))
    })
}

/// The byte count in task `n`'s row (plain bytes only: the poem is small).
fn bytes_of(screen: &str, n: usize) -> Option<u64> {
    let row = row(screen, n)?;
    let before_unit = row.split(" B").next()?;
    before_unit
        .split_whitespace()
        .last()?
        .trim_end_matches('*')
        .parse()
        .ok()
}

#[test]
fn watch_cancel_retry_and_quit_in_a_real_terminal() {
    let runtime = runtime();
    let server = runtime.block_on(serve(vec![
        spec(SCIENCE, paced(10, 100), Behaviour::Poem),
        spec(SCIENCE, paced(10, 100), Behaviour::Stall),
    ]));
    let (slow, stalled) = (address_of(&server, 0), address_of(&server, 1));
    let binary = env!("CARGO_BIN_EXE_poetry-dash");
    let tmux = Tmux::start(120, 40, &format!("{binary} --tui {slow} {stalled}"));

    // Bytes arrive and the count on screen rises.
    let first = tmux.wait_for("bytes to arrive", |s| bytes_of(s, 1).is_some_and(|b| b > 0));
    let first = bytes_of(&first, 1).unwrap_or(0);
    tmux.wait_for("the byte count to rise", |s| {
        bytes_of(s, 1).is_some_and(|b| b > first)
    });
    assert_eq!(
        tmux.display("#{alternate_on}"),
        "1",
        "the dashboard uses the alternate screen"
    );

    // `c` cancels the selected download (the first row), keeping what came.
    tmux.keys("c");
    let screen = tmux.wait_for("the cancel", |s| {
        row(s, 1).is_some_and(|r| r.contains("cancelled"))
    });
    assert!(
        bytes_of(&screen, 1).is_some_and(|b| b > 0 && b < SCIENCE.len() as u64),
        "{screen}"
    );
    assert!(
        row(&screen, 2).is_some_and(|r| r.contains("receiving") || r.contains("waiting")),
        "the other goes on:\n{screen}"
    );

    // `r` retries it to completion, and the poem pane shows it.
    tmux.keys("r");
    let screen = tmux.wait_for("the retry to complete", |s| {
        row(s, 1).is_some_and(|r| r.contains("complete"))
    });
    assert_eq!(bytes_of(&screen, 1), Some(SCIENCE.len() as u64));
    assert!(
        screen.contains("The summer dream beneath the tamarind tree?")
            || screen.contains("Science! true daughter")
    );

    // `q` with a download still going asks first, in the footer; another
    // key stays; `q` again quits: the terminal is restored and the plain
    // summary printed; the stalled download was cancelled: status 1.
    // Esc backs out of a search and never quits, however often pressed.
    tmux.keys("/");
    tmux.keys("sci");
    tmux.wait_for("the find prompt", |s| s.contains("find: sci"));
    for _ in 0..3 {
        tmux.keys("Escape");
    }
    tmux.wait_for("the prompt gone", |s| !s.contains("find: "));
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        row(&tmux.screen(), 2).is_some(),
        "Esc did not quit:\n{}",
        tmux.screen()
    );
    tmux.keys("q");
    tmux.wait_for("the question", |s| s.contains("q again to quit"));
    tmux.keys("Escape");
    tmux.wait_for("the question gone", |s| !s.contains("q again to quit"));
    assert!(row(&tmux.screen(), 2).is_some(), "still running");
    tmux.keys("q");
    tmux.wait_for("the question", |s| s.contains("q again to quit"));
    tmux.keys("q");
    assert_eq!(tmux.exit_status(), 1);
    let screen = tmux.wait_for("the summary", |s| s.contains("Got 1 poems in"));
    assert!(
        screen.contains("Cancelled (1):") && screen.contains(&stalled.to_string()),
        "{screen}"
    );
    tmux.assert_restored("after quitting");
}

#[test]
fn sigterm_and_sighup_restore_the_terminal_with_their_status() {
    let runtime = runtime();
    let server = runtime.block_on(serve(vec![spec(SCIENCE, paced(10, 100), Behaviour::Stall)]));
    let binary = env!("CARGO_BIN_EXE_poetry-dash");
    for (signal, status) in [("TERM", 143), ("HUP", 129)] {
        let tmux = Tmux::start(
            100,
            30,
            &format!("{binary} --tui {}", address_of(&server, 0)),
        );
        // Connected to a server that sends nothing: waiting.
        tmux.wait_for("the dashboard", |s| {
            row(s, 1).is_some_and(|r| r.contains("◌ waiting"))
        });
        // The pane runs `sh -c`, whose child is the dashboard.
        let shell = tmux.display("#{pane_pid}");
        let dashboard = children_of(&shell).pop().expect("the dashboard process");
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &dashboard])
            .status()
            .expect("kill");
        assert!(killed.success());
        assert_eq!(tmux.exit_status(), status, "SIG{signal}");
        tmux.wait_for("the summary", |s| s.contains("Got 0 poems in"));
        tmux.assert_restored(&format!("after SIG{signal}"));
    }
}

#[test]
fn hostile_servers_end_as_the_limits_say_while_keys_still_work() {
    let runtime = runtime();
    let server = runtime.block_on(serve(vec![
        spec(SCIENCE, paced(10, 100), Behaviour::Stall),
        spec(SCIENCE, paced(10, 100), Behaviour::Full),
        spec(SCIENCE, paced(1, 300), Behaviour::Trickle),
    ]));
    let addresses: Vec<String> = (0..3).map(|i| address_of(&server, i).to_string()).collect();
    let binary = env!("CARGO_BIN_EXE_poetry-dash");
    let command = format!(
        "{binary} --tui --idle-timeout 1 --connect-timeout 1.5 --timeout 3 {}",
        addresses.join(" ")
    );
    let tmux = Tmux::start(120, 40, &command);
    tmux.wait_for("the dashboard", |s| row(s, 3).is_some());

    // While every download hangs in its own way, keys are answered.
    tmux.keys("s");
    tmux.wait_for("the sort to change", |s| s.contains("sort:state"));
    tmux.keys("?");
    tmux.wait_for("the help popup", |s| {
        s.contains("cycle sort: given, state, rate")
    });
    tmux.keys("Escape");
    tmux.wait_for("the help to close", |s| {
        !s.contains("cycle sort: given, state, rate")
    });

    let screen = tmux.wait_for("every limit to fire", |s| {
        (1..=3).all(|n| row(s, n).is_some_and(|r| r.contains("timed out")))
    });
    assert!(
        bytes_of(&screen, 3).is_some_and(|b| b > 0),
        "the trickle got bytes:\n{screen}"
    );
    tmux.keys("q");
    assert_eq!(tmux.exit_status(), 1);
    let summary = tmux.wait_for("the summary", |s| s.contains("Got 0 poems in"));
    for expected in [
        format!("{} — idle timeout after 1 s (got 0 bytes)", addresses[0]),
        format!(
            "{} — connect timeout after 1.5 s (got 0 bytes)",
            addresses[1]
        ),
        format!("{} — deadline of 3 s passed", addresses[2]),
    ] {
        assert!(
            summary.contains(&expected),
            "{expected:?} missing:\n{summary}"
        );
    }
}

#[test]
fn a_panic_restores_the_terminal_and_prints_a_readable_report() {
    let runtime = runtime();
    let server = runtime.block_on(serve(vec![spec(SCIENCE, paced(10, 100), Behaviour::Stall)]));
    let binary = env!("CARGO_BIN_EXE_poetry-dash");
    // The debug build panics on its third frame when asked to.
    let command = format!(
        "RUST_BACKTRACE=0 POETRY_DASH_TEST_PANIC=1 {binary} --tui {}",
        address_of(&server, 0)
    );
    let tmux = Tmux::start(120, 40, &command);
    assert_eq!(
        tmux.exit_status(),
        101,
        "a panic exits with Rust's panic status"
    );
    let report = tmux.history();
    assert!(
        report.contains("The application panicked"),
        "color-eyre's report:\n{report}"
    );
    assert!(
        report.contains("test panic requested by POETRY_DASH_TEST_PANIC"),
        "{report}"
    );
    tmux.assert_restored("after the panic");
}

#[test]
fn a_poem_that_cannot_be_saved_fails_the_run_as_headless() {
    let runtime = runtime();
    let server = runtime.block_on(serve(vec![spec(SCIENCE, Pacing::fast(), Behaviour::Poem)]));
    let address = address_of(&server, 0);
    let dir = tempfile::tempdir().unwrap();
    // A directory where the poem's file should go: no poem can be saved
    // under that name. (That the save goes through a temporary file and a
    // rename is a_poem_that_cannot_be_written_names_its_own_file_never_the_temporary_one's
    // to show: there an earlier file stays whole.)
    std::fs::create_dir(dir.path().join(format!("127.0.0.1_{}.txt", address.port))).unwrap();
    let binary = env!("CARGO_BIN_EXE_poetry-dash");
    let command = format!(
        "{binary} --tui --exit-when-done --save {} {address}",
        dir.path().display()
    );
    let tmux = Tmux::start(120, 40, &command);
    assert_eq!(tmux.exit_status(), 1, "the poem arrived but was not saved");
    let screen = tmux.wait_for("the summary", |s| s.contains("Got 1 poems in"));
    assert!(screen.contains("Task 1: cannot save:"), "{screen}");
}

#[test]
fn with_stdout_redirected_the_dashboard_is_on_the_terminal_and_stdout_gets_the_poems() {
    let runtime = runtime();
    let server = runtime.block_on(serve(vec![spec(SCIENCE, paced(100, 50), Behaviour::Poem)]));
    let address = address_of(&server, 0);
    let dir = tempfile::tempdir().unwrap();
    let poems = dir.path().join("poems.txt");
    let binary = env!("CARGO_BIN_EXE_poetry-dash");
    let command = format!(
        "{binary} --tui --exit-when-done {address} > {}",
        poems.display()
    );
    let tmux = Tmux::start(120, 40, &command);
    tmux.wait_for("the dashboard on the terminal", |s| {
        s.contains("Downloads") && s.contains("Poem")
    });
    assert_eq!(tmux.exit_status(), 0);
    assert_eq!(
        std::fs::read_to_string(&poems).unwrap(),
        SCIENCE,
        "stdout has the poem byte for byte and nothing of the dashboard"
    );
    tmux.assert_restored("after the run");
}

#[test]
fn a_terminal_that_fails_mid_run_still_cancels_saves_and_summarises() {
    let runtime = runtime();
    let server = runtime.block_on(serve(vec![spec(SCIENCE, paced(10, 50), Behaviour::Poem)]));
    let address = address_of(&server, 0);
    let dir = tempfile::tempdir().unwrap();
    let binary = env!("CARGO_BIN_EXE_poetry-dash");
    // Debug builds fail the tenth frame when asked to.
    let command = format!(
        "POETRY_DASH_TEST_DRAW_ERROR=1 {binary} --tui --save {} {address}",
        dir.path().display()
    );
    let tmux = Tmux::start(120, 40, &command);
    assert_eq!(tmux.exit_status(), 1);
    let screen = tmux.wait_for("the summary", |s| s.contains("Got 0 poems in"));
    assert!(screen.contains("Cancelled (1):"), "{screen}");
    assert!(screen.contains("error: test drawing error"), "{screen}");
    tmux.assert_restored("after the error");
    let partial = dir
        .path()
        .join(format!("127.0.0.1_{}.txt.partial", address.port));
    let saved = std::fs::read(&partial).expect("the partial poem is saved");
    assert!(!saved.is_empty() && SCIENCE.as_bytes().starts_with(&saved));
}

#[test]
fn add_find_and_pause_while_it_runs() {
    let runtime = runtime();
    let server = runtime.block_on(serve(vec![
        spec(SCIENCE, paced(20, 100), Behaviour::Poem),
        spec(SCIENCE, Pacing::fast(), Behaviour::Poem),
    ]));
    let (slow, fast) = (address_of(&server, 0), address_of(&server, 1));
    let binary = env!("CARGO_BIN_EXE_poetry-dash");
    let tmux = Tmux::start(120, 40, &format!("{binary} --tui slow={slow}"));
    tmux.wait_for("the first row", |s| {
        row(s, 1).is_some_and(|r| r.contains("slow"))
    });

    // a: a bad address is refused, named, and nothing is added.
    tmux.keys("a");
    tmux.keys("x:0");
    tmux.keys("Enter");
    let screen = tmux.wait_for("the error", |s| s.contains("bad address \"x:0\""));
    assert!(row(&screen, 2).is_none(), "nothing added:\n{screen}");
    // A q typed there is text: the dashboard does not quit.
    tmux.keys("C-u");
    tmux.keys(&format!("quick={fast}"));
    tmux.keys("Enter");
    // The prompt closes and says what it did.
    tmux.wait_for("the prompt's report", |s| s.contains("added task 2"));
    tmux.wait_for("the added row complete", |s| {
        row(s, 2).is_some_and(|r| r.contains("quick") && r.contains("complete"))
    });

    // /: only the rows that match, and the title says why others are hidden.
    tmux.keys("/");
    tmux.keys("QUI");
    // (Typed letters arrive one by one: wait for the whole text.)
    let screen = tmux.wait_for("the search", |s| s.contains("search:\"QUI\""));
    assert!(screen.contains("1 hidden by search:\"QUI\""), "{screen}");
    assert!(
        row(&screen, 1).is_none() && row(&screen, 2).is_some(),
        "{screen}"
    );
    tmux.keys("Escape");
    tmux.wait_for("every row again", |s| {
        row(s, 1).is_some() && row(s, 2).is_some()
    });

    // space: the slow download holds still, then goes on to the end.
    tmux.keys("g");
    tmux.keys("Space");
    let screen = tmux.wait_for("paused", |s| {
        row(s, 1).is_some_and(|r| r.contains("paused"))
    });
    let held = bytes_of(&screen, 1).expect("a byte count");
    std::thread::sleep(Duration::from_millis(800));
    let later = tmux.screen();
    assert_eq!(
        bytes_of(&later, 1),
        Some(held),
        "no byte while paused:\n{later}"
    );
    tmux.keys("Space");
    tmux.wait_for("the slow one complete", |s| {
        row(s, 1).is_some_and(|r| r.contains("complete"))
    });
    tmux.keys("q");
    assert_eq!(tmux.exit_status(), 0);
    tmux.assert_restored("after quitting");
}

#[test]
fn ctrl_z_steps_out_to_the_shell_and_fg_comes_back_with_nothing_failed() {
    let runtime = runtime();
    // About three seconds of poem; an idle timeout of one second, and two
    // and a half seconds stopped: only holding the downloads saves it.
    let server = runtime.block_on(serve(vec![spec(SCIENCE, paced(20, 100), Behaviour::Poem)]));
    let address = address_of(&server, 0);
    let binary = env!("CARGO_BIN_EXE_poetry-dash");
    let tmux = Tmux::start(120, 40, "bash --norc --noprofile -i");
    tmux.keys(&format!("{binary} --tui --idle-timeout 1 {address}"));
    tmux.keys("Enter");
    tmux.wait_for("bytes", |s| bytes_of(s, 1).is_some_and(|b| b > 0));
    tmux.keys("C-z");
    tmux.wait_for("the shell", |s| s.contains("Stopped"));
    tmux.assert_restored("while suspended");
    std::thread::sleep(Duration::from_millis(2500));
    tmux.keys("fg");
    tmux.keys("Enter");
    let screen = tmux.wait_for("the dashboard again, then the end", |s| {
        row(s, 1).is_some_and(|r| r.contains("complete") || r.contains("timed out"))
    });
    assert!(
        row(&screen, 1).is_some_and(|r| r.contains("complete")),
        "the download did not fail for the time it was stopped:\n{screen}"
    );
    tmux.keys("q");
    tmux.wait_for("the summary", |s| s.contains("Got 1 poems in"));
}

#[test]
fn addresses_piped_in_become_rows_as_they_arrive_and_keys_still_work() {
    let runtime = runtime();
    let server = runtime.block_on(serve(vec![
        spec(SCIENCE, Pacing::fast(), Behaviour::Poem),
        spec(SCIENCE, Pacing::fast(), Behaviour::Poem),
    ]));
    let (first, second) = (address_of(&server, 0), address_of(&server, 1));
    let binary = env!("CARGO_BIN_EXE_poetry-dash");
    let command =
        format!("(echo one={first}; sleep 2; echo two={second}; sleep 30) | {binary} --tui -i -");
    let tmux = Tmux::start(120, 40, &command);
    let screen = tmux.wait_for("the first row", |s| {
        row(s, 1).is_some_and(|r| r.contains("complete"))
    });
    assert!(
        row(&screen, 2).is_none(),
        "the second line has not come yet"
    );
    tmux.wait_for("the second row", |s| {
        row(s, 2).is_some_and(|r| r.contains("two") && r.contains("complete"))
    });
    // Keys come from the terminal, not from the piped stdin.
    tmux.keys("q");
    tmux.wait_for("the summary", |s| s.contains("Got 2 poems in"));
}

#[test]
fn sort_filter_and_search_can_be_set_at_start() {
    let runtime = runtime();
    let server = runtime.block_on(serve(vec![
        spec(SCIENCE, Pacing::fast(), Behaviour::Poem),
        spec(SCIENCE, Pacing::fast(), Behaviour::Refuse),
        spec(SCIENCE, Pacing::fast(), Behaviour::Poem),
    ]));
    let (a, b, c) = (
        address_of(&server, 0),
        address_of(&server, 1),
        address_of(&server, 2),
    );
    let binary = env!("CARGO_BIN_EXE_poetry-dash");
    let command = format!(
        "{binary} --tui --sort state --filter complete --search KEEP keep-1={a} keep-2={b} other={c}"
    );
    let tmux = Tmux::start(120, 40, &command);
    let screen = tmux.wait_for("the first row complete", |s| {
        row(s, 1).is_some_and(|r| r.contains("complete"))
    });
    assert!(screen.contains("sort:state"), "{screen}");
    assert!(
        screen.contains("2 hidden by filter:complete search:\"KEEP\""),
        "the refused keep-2 and the unmatched other are hidden:\n{screen}"
    );
    assert!(
        row(&screen, 2).is_none() && row(&screen, 3).is_none(),
        "{screen}"
    );
    tmux.keys("q");
    tmux.wait_for("the summary", |s| s.contains("Got 2 poems in"));
}

#[test]
fn with_stdout_redirected_ctrl_l_a_resize_and_ctrl_z_leave_only_poems_in_the_file() {
    let runtime = runtime();
    // A slow poem (about three seconds) and a fast one, as in the issue.
    let server = runtime.block_on(serve(vec![
        spec(SCIENCE, paced(20, 100), Behaviour::Poem),
        spec(common::ECSTASY, Pacing::fast(), Behaviour::Poem),
    ]));
    let (slow, fast) = (address_of(&server, 0), address_of(&server, 1));
    let dir = tempfile::tempdir().unwrap();
    let poems = dir.path().join("poems.txt");
    let status = dir.path().join("status");
    let binary = env!("CARGO_BIN_EXE_poetry-dash");
    let tmux = Tmux::start(120, 40, "bash --norc --noprofile -i");
    // In a script of its own, so that its status is written once the run
    // ends, not when Ctrl-Z stops it (bash would go on with the list).
    tmux.keys(&format!(
        "sh -c '{binary} --tui slow={slow} fast={fast} > {}; echo $? > {}'",
        poems.display(),
        status.display()
    ));
    tmux.keys("Enter");
    tmux.wait_for("the fast poem", |s| {
        row(s, 2).is_some_and(|r| r.contains("complete"))
    });
    // Each of these used to ask the terminal for the cursor through stdout.
    tmux.keys("C-l");
    tmux.resize(100, 30);
    tmux.wait_for("the dashboard at the new size", |s| {
        s.lines().count() <= 30 && s.contains("Downloads")
    });
    tmux.keys("C-z");
    tmux.wait_for("the shell", |s| s.contains("Stopped"));
    tmux.keys("fg");
    tmux.keys("Enter");
    tmux.wait_for("the slow poem", |s| {
        row(s, 1).is_some_and(|r| r.contains("complete"))
    });
    tmux.keys("q");
    let started = Instant::now();
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Ok(status) = text.trim().parse::<i32>()
        {
            break status;
        }
        assert!(started.elapsed() < PATIENCE, "no exit:\n{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status, 0, "the run ended cleanly:\n{}", tmux.history());
    let written = std::fs::read(&poems).unwrap();
    assert!(
        !written.contains(&0x1b),
        "no escape sequence in stdout: {:?}",
        String::from_utf8_lossy(&written)
    );
    assert_eq!(
        String::from_utf8(written).unwrap(),
        format!("{}{SCIENCE}", common::ECSTASY),
        "the poems, as they completed, and nothing else"
    );
}

/// A key and a resize that arrive together are both acted on. crossterm's
/// default input source polls edge-triggered and returns after the first
/// of the two it finds ready, so the other waited for more input: under
/// load a Ctrl-Z or a q sent right after a resize was never seen (CI saw
/// it). Stopping the dashboard while both arrive makes them ready together
/// every time; a key that does nothing comes first, so the resize is the
/// one that would be left waiting, and nothing else would redraw the idle
/// dashboard at the new size.
#[test]
fn a_key_and_a_resize_that_arrive_together_are_both_seen() {
    use nix::sys::signal::{Signal, kill};
    let runtime = runtime();
    let server = runtime.block_on(serve(vec![spec(SCIENCE, Pacing::fast(), Behaviour::Poem)]));
    let binary = env!("CARGO_BIN_EXE_poetry-dash");
    let tmux = Tmux::start(
        120,
        40,
        &format!("{binary} --tui one={}", address_of(&server, 0)),
    );
    tmux.wait_for("the row complete", |s| {
        row(s, 1).is_some_and(|r| r.contains("complete"))
    });
    let dashboard = tmux.command_pid();
    for (width, height) in [(100, 30), (120, 40), (90, 26)] {
        kill(dashboard, Signal::SIGSTOP).expect("stop the dashboard");
        wait_until_stopped(dashboard);
        tmux.keys("x");
        tmux.resize(width, height);
        kill(dashboard, Signal::SIGCONT).expect("continue the dashboard");
        tmux.wait_for(&format!("the dashboard drawn at {width}x{height}"), |s| {
            s.lines().nth(1).is_some_and(|border| {
                border.chars().count() == usize::from(width) && border.ends_with('┐')
            })
        });
    }
    tmux.keys("q");
    assert_eq!(tmux.exit_status(), 0);
}

/// Waits until the kernel reports `pid` stopped (state `T` in its stat).
fn wait_until_stopped(pid: nix::unistd::Pid) {
    let started = Instant::now();
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // The state follows the command's name, which is in parentheses.
        let state = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next());
        if state == Some('T') {
            return;
        }
        assert!(started.elapsed() < PATIENCE, "{pid} never stopped: {stat}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn ctrl_z_with_piped_input_stops_the_whole_job_and_gives_the_shell_back() {
    let runtime = runtime();
    let server = runtime.block_on(serve(vec![spec(SCIENCE, Pacing::fast(), Behaviour::Poem)]));
    let address = address_of(&server, 0);
    let binary = env!("CARGO_BIN_EXE_poetry-dash");
    let tmux = Tmux::start(120, 40, "bash --norc --noprofile -i");
    tmux.keys(&format!(
        "(echo one={address}; sleep 60) | {binary} --tui -i -"
    ));
    tmux.keys("Enter");
    tmux.wait_for("the row", |s| {
        row(s, 1).is_some_and(|r| r.contains("complete"))
    });
    tmux.keys("C-z");
    // The shell says so only once every process of the job has stopped.
    tmux.wait_for("the shell", |s| s.contains("Stopped"));
    tmux.assert_restored("while suspended");
    tmux.keys("fg");
    tmux.keys("Enter");
    tmux.wait_for("the dashboard again", |s| {
        row(s, 1).is_some_and(|r| r.contains("complete"))
    });
    tmux.keys("q");
    tmux.wait_for("the summary", |s| s.contains("Got 1 poems in"));
}

#[test]
fn a_row_shows_its_transform_phase_live_and_o_shows_the_poem_as_downloaded() {
    use poetry_dash::serve::transform::{TransformConfig, TransformFault, TransformServer};
    let runtime = runtime();
    let server = runtime.block_on(serve(vec![spec(SCIENCE, Pacing::fast(), Behaviour::Poem)]));
    // The reply, 20 bytes every 100 ms: about three seconds of receiving.
    let transforms = runtime
        .block_on(TransformServer::start(
            "127.0.0.1",
            0,
            TransformConfig {
                fault: TransformFault::Slow,
                pacing: paced(20, 100),
                ..TransformConfig::default()
            },
            false,
        ))
        .expect("transform server");
    let binary = env!("CARGO_BIN_EXE_poetry-dash");
    let command = format!(
        "{binary} --tui --transform {} {}",
        transforms.address.port(),
        address_of(&server, 0)
    );
    let tmux = Tmux::start(100, 30, &command);
    tmux.wait_for("the transform's reply arriving", |s| {
        row(s, 1).is_some_and(|r| r.contains("⇄ receiving"))
    });
    let screen = tmux.wait_for("the row transformed", |s| {
        row(s, 1).is_some_and(|r| r.contains("✓ transformed"))
    });
    assert!(
        screen.contains("science! true daughter of old time"),
        "the poem pane shows the transformed poem:\n{screen}"
    );
    assert!(screen.contains("as transformed (o)"), "{screen}");
    tmux.keys("o");
    let screen = tmux.wait_for("the poem as downloaded", |s| {
        s.contains("as downloaded (o)")
    });
    assert!(
        screen.contains("Science! true daughter of Old Time"),
        "{screen}"
    );
    tmux.keys("q");
    tmux.wait_for("the summary", |s| s.contains("Got 1 poems in"));
}
