//! Headless output: what a script sees when there is no dashboard.
//!
//! The headless loop is the dashboard's loop without a screen: engine events
//! go into the same [`Model`], and a [`Reporter`] writes lines as they
//! happen. Plain text goes to stderr (poems alone on stdout, so pipes get
//! poems); NDJSON goes to stdout, one object per event.

pub mod json;
mod plain;
mod save;

pub use json::JsonReporter;
pub use plain::{PlainReporter, final_summary};
pub use save::{SaveError, Saver};

use std::io;
use std::time::Duration;

use tokio::sync::mpsc::error::TryRecvError;

use crate::address::{Address, Streamed};
use crate::model::State;
use crate::session::{Keep, Sources};
use std::time::Instant;

use crate::engine::{self, Command, Event, RunConfig, TaskId};
use crate::model::Model;
use crate::session::{Session, Written};

/// How often headless output collects the engine's events.
const DRAIN_INTERVAL: Duration = Duration::from_millis(20);

/// Exit statuses, as documented in the README.
pub mod exit {
    pub const ALL_COMPLETE: i32 = 0;
    pub const SOME_FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const HANGUP: i32 = 129;
    pub const INTERRUPTED: i32 = 130;
    pub const TERMINATED: i32 = 143;
}

/// Which run of which download something is about, and when: what every
/// NDJSON event object carries.
#[derive(Debug, Clone, Copy)]
pub struct About {
    pub task: TaskId,
    pub run: u32,
    pub at: Instant,
}

impl From<&Event> for About {
    fn from(event: &Event) -> About {
        About {
            task: event.task,
            run: event.run,
            at: event.at,
        }
    }
}

/// Writes what happens as it happens.
pub trait Reporter {
    /// Called after `event` was applied to `model`.
    fn event(&mut self, event: &Event, model: &Model);
    /// A problem of our own (not a server's), such as a file that could not
    /// be saved, with the download it is about (if any).
    fn problem(&mut self, about: Option<About>, model: &Model, message: &str);
    /// Called once when every download has ended.
    fn summary(&mut self, model: &Model, interrupted: bool);
    /// Writes out what was held back for one write per batch of events.
    fn flush(&mut self) {}
    /// Set once writing to stdout failed (a closed pipe): the run stops.
    fn stdout_broken(&self) -> Option<&io::Error>;
}

/// The exit status for a finished set of downloads: a poem that could not
/// be saved (`model.unsaved`) or another problem of ours fails the run too.
pub fn exit_status(model: &Model, interrupted: Option<i32>, other_problem: bool) -> i32 {
    if let Some(status) = interrupted {
        return status;
    }
    let all_complete = model.downloads.iter().all(|d| d.state.is_complete());
    if all_complete && model.unsaved == 0 && !other_problem {
        exit::ALL_COMPLETE
    } else {
        exit::SOME_FAILED
    }
}

/// Runs every download to its end without a screen and returns the exit
/// status. The first Ctrl-C (or SIGTERM) cancels everything and still
/// reports what arrived; a second Ctrl-C exits at once.
pub async fn run_headless(
    input: Sources,
    config: RunConfig,
    reporter: &mut dyn Reporter,
    mut keep: Keep,
) -> i32 {
    // Signal handlers first, so that no Ctrl-C can arrive unhandled once
    // downloads are under way.
    let mut signals = crate::signals::Signals::install();
    // Headless prints poems through its reporter (to a terminal they are
    // sanitised and headed), so the session only saves.
    let mut session = Session::new(Model::default(), keep.saver, keep.events, false);
    let (engine, mut events) = engine::start(Vec::<Address>::new(), config);
    if !input.addresses.is_empty() {
        engine.send(session.add(input.addresses));
    }
    // Lines still arriving (stdin, a FIFO): each download starts as its line
    // comes, and the run is not over until the input is.
    let mut stream = input.stream;
    session.model.more_coming = stream.is_some();
    let mut bad_lines = 0;
    let mut record_failed = false;
    let mut interrupted: Option<i32> = None;
    // Events are collected in batches on a short tick rather than one
    // wake-up each: with thousands of downloads, waking this task for every
    // event would cost more than the downloads themselves.
    let mut tick = tokio::time::interval(DRAIN_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut events_open = true;
    while events_open && !session.model.all_ended() {
        tokio::select! {
            _ = tick.tick() => {
                let reports = session.written();
                record_failed |= report_unsaved(&session, reports, reporter);
                if let Some(lines) = &mut stream {
                    let (addresses, bad, ended) = take_streamed(lines);
                    for message in &bad {
                        reporter.problem(None, &session.model, message);
                        session.record_problem(None, message);
                    }
                    bad_lines += bad.len();
                    if !addresses.is_empty() {
                        engine.send(session.add(addresses));
                    }
                    if ended {
                        stream = None;
                        session.model.more_coming = false;
                    }
                }
                events_open = drain(&mut events, &mut session, reporter);
                reporter.flush();
                if let Some(err) = reporter.stdout_broken() {
                    // The poems have nowhere to go: stop at once, cancel
                    // what runs, and claim nothing (the record and the
                    // failed list are still finished).
                    eprintln!("error: cannot write to stdout ({err}); stopping");
                    engine.send(Command::CancelAll);
                    for problem in finish(&mut session, &mut keep.save_failed, true) {
                        eprintln!("error: {problem}");
                    }
                    return exit::SOME_FAILED;
                }
            }
            status = signals.next() => {
                if interrupted.is_some() {
                    // A second Ctrl-C exits at once.
                    if status == exit::INTERRUPTED {
                        reporter.flush();
                        reporter.summary(&session.model, true);
                        for problem in finish(&mut session, &mut keep.save_failed, true) {
                            eprintln!("error: {problem}");
                        }
                        return exit::INTERRUPTED;
                    }
                    continue;
                }
                interrupted = Some(status);
                // Nothing more starts: the input is not read further.
                stream = None;
                session.model.more_coming = false;
                engine.send(Command::CancelAll);
            }
        }
    }
    // Poems still being written are waited for: the summary counts them.
    let reports = session.all_written().await;
    record_failed |= report_unsaved(&session, reports, reporter);
    reporter.flush();
    reporter.summary(&session.model, interrupted.is_some());
    let problems = finish(&mut session, &mut keep.save_failed, interrupted.is_some());
    for problem in &problems {
        reporter.problem(None, &session.model, problem);
    }
    if bad_lines > 0 && interrupted.is_none() {
        // Every good line ran; the bad ones were named as they came.
        eprintln!("error: {bad_lines} input line(s) were not addresses and were skipped");
        return exit::USAGE;
    }
    exit_status(
        &session.model,
        interrupted,
        record_failed || !problems.is_empty(),
    )
}

/// Takes every line waiting in a streamed list: the addresses, the messages
/// about bad lines, and whether the list has ended.
pub fn take_streamed(
    lines: &mut tokio::sync::mpsc::UnboundedReceiver<Streamed>,
) -> (Vec<Address>, Vec<String>, bool) {
    let mut addresses = Vec::new();
    let mut bad = Vec::new();
    loop {
        match lines.try_recv() {
            Ok(Streamed::Address(address)) => addresses.push(address),
            Ok(Streamed::Bad(message)) => bad.push(message),
            Err(TryRecvError::Empty) => return (addresses, bad, false),
            Err(TryRecvError::Disconnected) => return (addresses, bad, true),
        }
    }
}

/// What both faces do at the very end: the summary into the `--events`
/// file, the writer closed (every file flushed), and `--save-failed`
/// written. Returns the problems, each a line to show.
pub fn finish(
    session: &mut Session,
    save_failed: &mut Option<(std::path::PathBuf, std::fs::File)>,
    interrupted: bool,
) -> Vec<String> {
    session.record(vec![json::summary(&session.model, interrupted)]);
    let mut problems: Vec<String> = session
        .close()
        .into_iter()
        .filter_map(|report| match report {
            Written::RecordFailed(message) => Some(message),
            _ => None,
        })
        .collect();
    if let Some((path, file)) = save_failed.take()
        && let Err(err) = write_failed_list(&session.model, file)
    {
        problems.push(format!(
            "cannot write --save-failed {}: {err}",
            path.display()
        ));
    }
    problems
}

/// `--save-failed`: the failed and cancelled downloads in the `-i` format,
/// names kept, so `poetry-dash -i FILE` retries exactly them.
fn write_failed_list(model: &Model, file: std::fs::File) -> io::Result<()> {
    use std::io::Write;
    let mut out = io::BufWriter::new(file);
    writeln!(
        out,
        "# poetry-dash: downloads that failed or were cancelled; retry with: poetry-dash -i FILE"
    )?;
    for download in &model.downloads {
        if matches!(download.state, State::Failed | State::Cancelled) {
            writeln!(out, "{}", download.address.as_input())?;
        }
    }
    out.flush()
}

/// Applies and reports every event waiting; false once the engine has gone.
/// Stops early when stdout broke (the caller stops the run).
fn drain(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<Event>,
    session: &mut Session,
    reporter: &mut dyn Reporter,
) -> bool {
    loop {
        let mut event = match events.try_recv() {
            Ok(event) => event,
            Err(TryRecvError::Empty) => return true,
            Err(TryRecvError::Disconnected) => return false,
        };
        if !session.apply(&mut event) {
            continue;
        }
        reporter.event(&event, &session.model);
        // A download that ended has been printed and queued for saving
        // with its own copy: headless keeps nothing more of it.
        session.model.forget_ended(event.task);
        if reporter.stdout_broken().is_some() {
            return true;
        }
    }
}

/// Tells the reporter about poems that could not be saved and an events
/// file that could not be written; true when there was such a problem of
/// ours besides unsaved poems (the model counts those).
fn report_unsaved(session: &Session, reports: Vec<Written>, reporter: &mut dyn Reporter) -> bool {
    let mut other = false;
    for report in reports {
        match report {
            Written::SaveFailed(failure) => {
                reporter.problem(Some(failure.about()), &session.model, &failure.line());
            }
            Written::RecordFailed(message) => {
                reporter.problem(None, &session.model, &message);
                other = true;
            }
            Written::Done | Written::StdoutBroken(_) => {}
        }
    }
    other
}
