//! Headless output: what a script sees when there is no dashboard.
//!
//! The headless loop is the dashboard's loop without a screen: engine events
//! go into the same [`Model`], and a [`Reporter`] writes lines as they
//! happen. Plain text goes to stderr (poems alone on stdout, so pipes get
//! poems); NDJSON goes to stdout, one object per event.

mod json;
mod plain;
mod save;

pub use json::JsonReporter;
pub use plain::{PlainReporter, final_summary};
pub use save::{SaveError, Saver};

use std::io;
use std::time::Duration;

use tokio::sync::mpsc::error::TryRecvError;

use crate::address::Address;
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
    addresses: Vec<Address>,
    config: RunConfig,
    reporter: &mut dyn Reporter,
    saver: Option<Saver>,
) -> i32 {
    // Signal handlers first, so that no Ctrl-C can arrive unhandled once
    // downloads are under way.
    let mut signals = crate::signals::Signals::install();
    // Headless prints poems through its reporter (to a terminal they are
    // sanitised and headed), so the session only saves.
    let mut session = Session::new(Model::default(), saver, false);
    let (engine, mut events) = engine::start(Vec::<Address>::new(), config);
    engine.send(session.add(addresses));
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
                report_unsaved(&session, reports, reporter);
                events_open = drain(&mut events, &mut session, reporter);
                reporter.flush();
                if let Some(err) = reporter.stdout_broken() {
                    // The poems have nowhere to go: stop at once, cancel
                    // what runs, and claim nothing.
                    eprintln!("error: cannot write to stdout ({err}); stopping");
                    engine.send(Command::CancelAll);
                    return exit::SOME_FAILED;
                }
            }
            status = signals.next() => {
                if interrupted.is_some() {
                    // A second Ctrl-C exits at once.
                    if status == exit::INTERRUPTED {
                        reporter.flush();
                        reporter.summary(&session.model, true);
                        return exit::INTERRUPTED;
                    }
                    continue;
                }
                interrupted = Some(status);
                engine.send(Command::CancelAll);
            }
        }
    }
    // Poems still being written are waited for: the summary counts them.
    let reports = session.all_written().await;
    report_unsaved(&session, reports, reporter);
    reporter.flush();
    reporter.summary(&session.model, interrupted.is_some());
    exit_status(&session.model, interrupted, false)
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

/// Tells the reporter about poems that could not be saved.
fn report_unsaved(session: &Session, reports: Vec<Written>, reporter: &mut dyn Reporter) {
    for report in reports {
        if let Written::SaveFailed(failure) = report {
            reporter.problem(Some(failure.about()), &session.model, &failure.line());
        }
    }
}
