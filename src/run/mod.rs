//! The run: one loop owns a fetch run's whole lifecycle, whichever face
//! shows it (the dashboard, or headless output). It holds the model, the
//! engine's handle and events, the signals, the intake of addresses and the
//! writer; the face only shows the model and says what its user wants.
//!
//! Each turn of the loop waits for the first of: the face's input, a
//! signal, the face's wake-up, a streamed line, or (once every download
//! has ended, when the loop would otherwise sleep) an event or a writer's
//! report. Events are applied in batches at the face's wake-up rather than
//! one wake-up each: with thousands of downloads, waking for every event
//! would cost more than the downloads themselves.
//!
//! Ending is the same for every face: the face gives back the terminal,
//! what still runs is cancelled and given a moment to report, the writes
//! are waited for, the `--events` summary and `--save-failed` are written,
//! the face has its last words, and [`Outcome::exit_status`] decides.

mod face;
mod intake;
mod outcome;
mod signals;

pub use face::{Face, Turn, Want};
pub use intake::Sources;
pub use outcome::{Outcome, exit};

use std::time::Instant;

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::mpsc::error::TryRecvError;

use crate::engine::{self, Command, Event, RunConfig, RunHandle};
use crate::model::{LogLevel, Model};
use crate::report::json;
use crate::session::{Outputs, Session, WriteReport};
use intake::{Arrived, Intake};
use signals::Signals;

/// How long a run that the dashboard ended, or whose stdout broke, waits
/// for its cancelled downloads to report, so what they got is saved.
pub const CANCEL_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// What a run needs besides its face.
pub struct Setup {
    pub sources: Sources,
    pub config: RunConfig,
    pub keep: Outputs,
    /// The model to fold events into (the dashboard's keeps what it shows).
    pub model: Model,
    /// Write each complete poem to stdout, byte for byte, from the writer
    /// thread (under a dashboard drawn on `/dev/tty`; headless prints
    /// through its face).
    pub print_poems: bool,
}

/// Runs every download with `face` showing them, and returns the exit
/// status. The first signal (or the face's quit) ends the run: what still
/// runs is cancelled and what arrived is still reported; after a signal, a
/// Ctrl-C while the cancelled downloads report ends it at once (130).
pub async fn run<F: Face>(face: &mut F, setup: Setup) -> i32 {
    // Signal handlers first, so that no Ctrl-C can arrive unhandled once
    // downloads are under way.
    let mut signals = Signals::install();
    let Setup {
        sources,
        config,
        mut keep,
        model,
        print_poems,
    } = setup;
    let mut outcome = Outcome::default();
    if let Err(err) = face.start() {
        outcome.face_failed = Some(err);
        face.finish(&model, &outcome);
        return outcome.exit_status(&model);
    }
    let mut run = Run {
        session: Session::new(model, keep.saver.take(), keep.events.take(), print_poems),
        intake: Intake::new(sources.stream),
        outcome,
    };
    run.session.model.set_more_coming(run.intake.more_coming());
    let (engine, mut events) = engine::start(Vec::<crate::address::Address>::new(), config);
    if !sources.addresses.is_empty() {
        engine.send(run.session.add(sources.addresses));
    }
    run.until_ended(face, &engine, &mut events, &mut signals)
        .await;
    run.end(face, &engine, &mut events, &mut signals, keep)
        .await
}

struct Run {
    session: Session,
    intake: Intake,
    outcome: Outcome,
}

impl Run {
    /// The loop proper: until the face quits, a signal comes, stdout breaks
    /// or (for a face that ends with them) every download has ended.
    async fn until_ended<F: Face>(
        &mut self,
        face: &mut F,
        engine: &RunHandle,
        events: &mut UnboundedReceiver<Event>,
        signals: &mut Signals,
    ) {
        let mut events_open = true;
        loop {
            let ended = self.session.model.all_ended();
            if face.ends_with_downloads() && (ended || !events_open) {
                self.drain(face, events);
                if let Err(err) = self.show(face, Turn::Last) {
                    self.outcome.face_failed = Some(err);
                }
                self.stdout_broke(face);
                return;
            }
            let wake = face.wake_at(&self.session.model);
            let turn = tokio::select! {
                biased;
                input = face.input() => match face.want(input, &self.session.model) {
                    Ok(want) => match self.carry_out(want, face, engine, events) {
                        Some(()) => Turn::Acted,
                        None => return,
                    },
                    Err(err) => {
                        self.outcome.face_failed = Some(err);
                        return;
                    }
                },
                status = signals.next() => {
                    self.outcome.interrupted = Some(status);
                    return;
                }
                () = sleep_until(wake), if wake.is_some() => {
                    let (open, changed) = self.drain(face, events);
                    events_open &= open;
                    Turn::Woke { changed }
                }
                event = events.recv(), if events_open && ended => match event {
                    Some(event) => {
                        self.apply(face, event);
                        events_open &= self.drain(face, events).0;
                        Turn::Arrived
                    }
                    None => {
                        events_open = false;
                        continue;
                    }
                },
                arrived = self.intake.next(), if self.intake.more_coming() => {
                    self.take(arrived, face, engine);
                    Turn::Arrived
                }
                report = self.session.next_written(), if ended => {
                    if !self.report(report, face) {
                        // A write done: nothing to show.
                        continue;
                    }
                    Turn::Arrived
                }
            };
            if let Err(err) = self.show(face, turn) {
                self.outcome.face_failed = Some(err);
                return;
            }
            if self.stdout_broke(face) {
                return;
            }
        }
    }

    /// Whether stdout has broken (the writer said so, or the face found it
    /// writing): the run stops.
    fn stdout_broke<F: Face>(&mut self, face: &mut F) -> bool {
        if let Some(err) = face.stdout_broken() {
            self.outcome.stdout_broken.get_or_insert(err);
        }
        self.outcome.stdout_broken.is_some()
    }

    /// Carries out what the face wants; `None` when it ends the run.
    fn carry_out<F: Face>(
        &mut self,
        want: Want,
        face: &mut F,
        engine: &RunHandle,
        events: &mut UnboundedReceiver<Event>,
    ) -> Option<()> {
        match want {
            Want::Nothing => {}
            Want::Command(command) => engine.send(command),
            Want::Add(addresses) => {
                let count = addresses.len();
                let command = self.session.add(addresses);
                if let Command::Add { first, .. } = &command {
                    face.added(*first, count);
                }
                engine.send(command);
            }
            Want::Suspend => {
                // No download fails for the time the process is stopped:
                // every one is held until `fg`.
                engine.freeze(true);
                let suspended = face.suspend();
                // Let go even when coming back failed.
                if let Some(shift) = engine.freeze(false) {
                    // What happened before the stop is applied first, so
                    // that its times move with the rest.
                    self.drain(face, events);
                    self.session.model.shift(shift);
                }
                if let Err(err) = suspended {
                    self.outcome.face_failed = Some(err);
                    return None;
                }
            }
            Want::Quit => return None,
            Want::Interrupt => {
                self.outcome.interrupted = Some(exit::INTERRUPTED);
                return None;
            }
        }
        Some(())
    }

    /// Ending, the same for every face (see the module's doc).
    async fn end<F: Face>(
        mut self,
        face: &mut F,
        engine: &RunHandle,
        events: &mut UnboundedReceiver<Event>,
        signals: &mut Signals,
        mut keep: Outputs,
    ) -> i32 {
        face.close();
        // Nothing more is read or started.
        self.intake.stop();
        self.session.model.set_more_coming(false);
        if !self.session.model.all_ended() {
            engine.send(Command::CancelAll);
        }
        // The cancelled downloads report (what they got is counted and
        // saved). After a signal, a second Ctrl-C stops waiting (other
        // signals, or one after a quit, change nothing); after stdout broke,
        // the wait is as short as the dashboard's, whatever the face.
        let mut at_once = false;
        let grace = match face.cancel_grace() {
            None if self.outcome.stdout_broken.is_some() => Some(CANCEL_GRACE),
            grace => grace,
        };
        let give_up = grace.map(|grace| tokio::time::Instant::now() + grace);
        while !self.session.model.all_ended() {
            tokio::select! {
                event = events.recv() => match event {
                    Some(event) => {
                        self.apply(face, event);
                        self.drain(face, events);
                        // (Headless writes out what it held back.)
                        let _ = self.show(face, Turn::Woke { changed: true });
                    }
                    None => break,
                },
                status = signals.next() => {
                    if self.outcome.interrupted.is_some() && status == exit::INTERRUPTED {
                        self.outcome.interrupted = Some(exit::INTERRUPTED);
                        at_once = true;
                        break;
                    }
                }
                () = sleep_until(give_up), if give_up.is_some() => break,
            }
        }
        if !at_once {
            // Poems still being written are waited for: the summary counts
            // them.
            for report in self.session.all_written().await {
                self.report(report, face);
            }
        }
        // What the face held back goes out (it shows nothing more once
        // closed); a stdout that broke meanwhile still counts.
        if let Err(err) = self.show(face, Turn::Last) {
            self.outcome.face_failed.get_or_insert(err);
        }
        self.stdout_broke(face);
        let stopped_early = self.outcome.stopped_early();
        self.outcome.finish_problems =
            finish(&mut self.session, &mut keep.save_failed, stopped_early);
        face.finish(&self.session.model, &self.outcome);
        self.outcome.exit_status(&self.session.model)
    }

    /// Folds one event into the model and shows it to the face; then the
    /// model lets go of what its policy does not keep.
    fn apply<F: Face>(&mut self, face: &mut F, mut event: Event) {
        if !self.session.apply(&mut event) {
            return;
        }
        face.event(&event, &self.session.model);
        self.session.model.shown(event.task);
    }

    /// Shows the model through `face`, the poems in view indexed first: the
    /// dashboard's text index (lines, control characters) is kept for the
    /// poems it shows, not for every byte of every download.
    fn show<F: Face>(&mut self, face: &mut F, turn: Turn) -> color_eyre::Result<()> {
        let (followed, shown) = face.poems_in_view();
        for &task in shown {
            self.session.model.index_poem(task);
        }
        self.session.model.follow_poem(followed);
        face.show(&self.session.model, turn)
    }

    /// Applies every event and writer's report waiting. Returns whether the
    /// engine is still there and whether anything came. Stops early when
    /// stdout broke (the run stops).
    fn drain<F: Face>(
        &mut self,
        face: &mut F,
        events: &mut UnboundedReceiver<Event>,
    ) -> (bool, bool) {
        let mut changed = false;
        for report in self.session.written() {
            changed |= self.report(report, face);
        }
        loop {
            let event = match events.try_recv() {
                Ok(event) => event,
                Err(TryRecvError::Empty) => return (true, changed),
                Err(TryRecvError::Disconnected) => return (false, changed),
            };
            self.apply(face, event);
            changed = true;
            if self.stdout_broke(face) {
                return (true, changed);
            }
        }
    }

    /// New addresses become rows and downloads; bad lines are named (in
    /// the log, the `--events` record and the face) and skipped.
    fn take<F: Face>(&mut self, arrived: Arrived, face: &mut F, engine: &RunHandle) {
        let now = Instant::now();
        for message in arrived.bad {
            self.session.record_problem(None, &message);
            self.session
                .model
                .note(now, None, LogLevel::Bad, message.clone());
            face.problem(None, &self.session.model, &message);
            self.outcome.bad_lines.push(message);
        }
        if !arrived.addresses.is_empty() {
            engine.send(self.session.add(arrived.addresses));
        }
        self.session
            .model
            .set_more_coming(self.intake.more_coming());
    }

    /// Keeps what the writer reported; true when there is something to show.
    fn report<F: Face>(&mut self, report: WriteReport, face: &mut F) -> bool {
        match report {
            WriteReport::Done => false,
            WriteReport::SaveFailed(failure) => {
                // (The session has counted it and put it in the log.)
                face.problem(Some(failure.about()), &self.session.model, &failure.line());
                self.outcome.unsaved.push(failure.line());
                true
            }
            WriteReport::RecordFailed(message) => {
                self.session
                    .model
                    .note(Instant::now(), None, LogLevel::Bad, message.clone());
                face.problem(None, &self.session.model, &message);
                self.outcome.record_failed.get_or_insert(message);
                true
            }
            WriteReport::StdoutBroken(err) => {
                self.outcome.stdout_broken.get_or_insert(err);
                true
            }
        }
    }
}

/// Sleeps until `at`; pending forever without one.
async fn sleep_until(at: Option<impl Into<tokio::time::Instant>>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// The very end: the summary into the `--events` file, the writer closed
/// (every file flushed), and `--save-failed` written. Returns the problems,
/// each a line to show.
fn finish(
    session: &mut Session,
    save_failed: &mut Option<(std::path::PathBuf, std::fs::File)>,
    interrupted: bool,
) -> Vec<String> {
    session.record(vec![json::summary(&session.model, interrupted)]);
    let mut problems: Vec<String> = session
        .close()
        .into_iter()
        .filter_map(|report| match report {
            WriteReport::RecordFailed(message) => Some(message),
            _ => None,
        })
        .collect();
    if let Some((path, file)) = save_failed.take()
        && let Err(err) = crate::report::write_failed_list(&session.model, file)
    {
        problems.push(format!(
            "cannot write --save-failed {}: {err}",
            path.display()
        ));
    }
    problems
}
