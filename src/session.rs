//! What the dashboard and headless mode both do with the engine's events:
//! fold each into the model, keep the poems that ended on disk, and say
//! which could not be saved. One type, so a fix lands once.
//!
//! Writing (a poem to `--save`'s files: write, fsync, rename; or to stdout
//! under a dashboard on `/dev/tty`) runs on a writer thread of its own, never
//! on the async loop's thread: a slow disk or a stalled pipe does not stall a
//! frame, a key or the collection of events. One thread, in order, so the
//! saves of one download land in the order its runs ended.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;

use crate::address::Address;
use crate::engine::{Command, Event, EventKind, TaskId};
use crate::model::{Model, PoemBytes};
use crate::report::{Saver, Subject};

/// A poem that could not be saved: which download, which run, when, and why
/// (naming the poem's own file).
#[derive(Debug, Clone)]
pub struct SaveFailure {
    pub task: TaskId,
    pub generation: u32,
    pub at: Instant,
    pub message: String,
}

impl SaveFailure {
    /// The download it is about, for reporters that want the common fields.
    pub fn about(&self) -> Subject {
        Subject {
            task: self.task,
            generation: self.generation,
            at: self.at,
        }
    }

    /// `Task 3: cannot save: DIR/NAME.txt: why`.
    pub fn line(&self) -> String {
        format!("Task {}: {}", self.task, self.message)
    }
}

/// Where a run keeps what it got, besides the screen or stdout: chosen on
/// the command line, opened before anything starts.
#[derive(Debug, Default)]
pub struct Outputs {
    /// `--save DIR`.
    pub saver: Option<Saver>,
    /// `--events FILE`: every event as NDJSON.
    pub events: Option<(std::path::PathBuf, std::fs::File)>,
    /// `--save-failed FILE`: the failed and cancelled downloads, written at
    /// the end (created at the start, so a path that cannot be written is a
    /// usage error before anything runs).
    pub save_failed: Option<(std::path::PathBuf, std::fs::File)>,
}

/// What the writer thread reports for each job.
#[derive(Debug)]
pub enum WriteReport {
    Done,
    SaveFailed(SaveFailure),
    /// The `--events` file could not be written (said once).
    RecordFailed(String),
    /// Stdout could not be written (a closed pipe): the run should stop.
    StdoutBroken(std::io::Error),
}

enum Job {
    Save {
        complete: bool,
        poem: PoemBytes,
        task: TaskId,
        generation: u32,
        at: Instant,
    },
    Print(PoemBytes),
    /// Downloads added to the end of the list: the saver names their files.
    Name(Vec<Arc<Address>>),
    /// NDJSON lines for the `--events` file.
    Record(Vec<u8>),
}

pub struct Session {
    pub model: Model,
    saving: bool,
    printing: bool,
    recording: bool,
    jobs: Option<std::sync::mpsc::Sender<Job>>,
    writer: Option<std::thread::JoinHandle<()>>,
    written: mpsc::UnboundedReceiver<WriteReport>,
    pending: usize,
}

impl Session {
    /// A session that saves with `saver` (if any), records every event to
    /// `events` (if any) and, with `print_poems`, writes each complete poem
    /// to stdout byte for byte.
    pub fn new(
        model: Model,
        saver: Option<Saver>,
        events: Option<(std::path::PathBuf, std::fs::File)>,
        print_poems: bool,
    ) -> Session {
        let (done, written) = mpsc::unbounded_channel();
        let saving = saver.is_some();
        let recording = events.is_some();
        let (jobs, writer) = if saving || print_poems || recording {
            let (jobs, queue) = std::sync::mpsc::channel::<Job>();
            let writer = std::thread::spawn(move || write_in_order(queue, saver, events, done));
            (Some(jobs), Some(writer))
        } else {
            (None, None)
        };
        Session {
            model,
            saving,
            printing: print_poems,
            recording,
            jobs,
            writer,
            written,
            pending: 0,
        }
    }

    /// New downloads at the end of the list: rows in the model, file names
    /// for `--save`, and the command that hands them to the engine.
    pub fn add(&mut self, addresses: Vec<Address>) -> Command {
        let (first, addresses) = self.model.add(addresses);
        if self.saving
            && let Some(jobs) = &self.jobs
        {
            let _ = jobs.send(Job::Name(addresses.clone()));
        }
        Command::Add { first, addresses }
    }

    /// Folds `event` into the model; a download that ended has its poem (or
    /// the part that came) written in the background. Returns false for an
    /// event the model ignored (an older run's).
    pub fn apply(&mut self, event: &mut Event) -> bool {
        if !self.model.apply(event) {
            return false;
        }
        if self.recording {
            let lines = crate::report::json::lines(event, &self.model, false);
            record_lines(self.jobs.as_ref(), lines);
        }
        let Some(download) = self.model.get(event.task) else {
            return true;
        };
        let complete = match event.kind {
            EventKind::Finished { .. } => true,
            EventKind::Failed { .. } | EventKind::Cancelled { .. } if !download.poem.is_empty() => {
                false
            }
            _ => return true,
        };
        // The model keeps its poem (the dashboard shows it): the writer gets
        // a copy of the bytes.
        let mut jobs = Vec::new();
        if self.printing && complete {
            jobs.push(Job::Print(download.poem.clone()));
        }
        if self.saving {
            jobs.push(Job::Save {
                complete,
                poem: download.poem.clone(),
                task: event.task,
                generation: event.generation,
                at: event.at,
            });
        }
        for job in jobs {
            if let Some(sender) = &self.jobs
                && sender.send(job).is_ok()
            {
                self.pending += 1;
            }
        }
        true
    }

    /// Appends NDJSON objects to the `--events` file (off this thread).
    pub fn record(&mut self, lines: Vec<serde_json::Value>) {
        if self.recording {
            record_lines(self.jobs.as_ref(), Box::new(lines.into_iter()));
        }
    }

    /// A problem of our own, into the `--events` record as `--json` prints it.
    pub fn record_problem(&mut self, about: Option<Subject>, message: &str) {
        if self.recording {
            let line = crate::report::json::problem(about, &self.model, message);
            self.record(vec![line]);
        }
    }

    /// Writes still in progress.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// The writer's reports that have arrived, without waiting. A failed save
    /// is counted in the model (`unsaved`) and noted in its log.
    pub fn written(&mut self) -> Vec<WriteReport> {
        let mut reports = Vec::new();
        while let Ok(report) = self.written.try_recv() {
            reports.push(self.count(report));
        }
        reports
    }

    /// The next report of the writer, waiting for it (pending forever when
    /// nothing is being written).
    pub async fn next_written(&mut self) -> WriteReport {
        if self.pending == 0 {
            return std::future::pending().await;
        }
        match self.written.recv().await {
            Some(report) => self.count(report),
            None => std::future::pending().await,
        }
    }

    /// Waits for every write still running; returns their reports.
    pub async fn all_written(&mut self) -> Vec<WriteReport> {
        let mut reports = Vec::new();
        while self.pending > 0 {
            match self.written.recv().await {
                Some(report) => reports.push(self.count(report)),
                None => break,
            }
        }
        reports
    }

    /// Ends the writer once every job sent is done, and the `--events`
    /// file is flushed; returns the reports that came meanwhile. Nothing
    /// more is written after this.
    pub fn close(&mut self) -> Vec<WriteReport> {
        self.jobs = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        let mut reports = Vec::new();
        while let Ok(report) = self.written.try_recv() {
            reports.push(self.count(report));
        }
        reports
    }

    fn count(&mut self, report: WriteReport) -> WriteReport {
        if !matches!(report, WriteReport::RecordFailed(_)) {
            // (Records are not counted as pending.)
            self.pending = self.pending.saturating_sub(1);
        }
        if let WriteReport::SaveFailed(failure) = &report {
            self.record_problem(Some(failure.about()), &failure.line());
            self.model.count_unsaved();
            self.model.note(
                failure.at,
                Some(failure.task),
                crate::model::LogLevel::Bad,
                failure.message.clone(),
            );
        }
        report
    }
}

/// Serialises NDJSON objects for the writer thread, in pieces of at most
/// about [`RECORD_PIECE`] bytes: a batch of a million downloads is written
/// as it is made, never held whole.
fn record_lines(jobs: Option<&std::sync::mpsc::Sender<Job>>, lines: crate::report::json::Lines) {
    let Some(jobs) = jobs else {
        return;
    };
    let mut bytes = Vec::new();
    for line in lines {
        // (Writing to memory cannot fail.)
        let _ = crate::report::json::write_line(&mut bytes, &line);
        if bytes.len() >= RECORD_PIECE {
            let _ = jobs.send(Job::Record(std::mem::take(&mut bytes)));
        }
    }
    if !bytes.is_empty() {
        let _ = jobs.send(Job::Record(bytes));
    }
}

const RECORD_PIECE: usize = 256 * 1024;

/// The writer thread: each job in the order given, a report for each.
fn write_in_order(
    queue: std::sync::mpsc::Receiver<Job>,
    saver: Option<Saver>,
    events: Option<(std::path::PathBuf, std::fs::File)>,
    done: mpsc::UnboundedSender<WriteReport>,
) {
    use std::io::Write;
    use std::sync::mpsc::TryRecvError;
    let mut stdout_broken = false;
    let mut saver = saver;
    let mut record = events.map(|(path, file)| (path, std::io::BufWriter::new(file)));
    let mut record_broken = false;
    let mut record_error = |err: std::io::Error, path: &std::path::Path| {
        if !std::mem::replace(&mut record_broken, true) {
            let _ = done.send(WriteReport::RecordFailed(format!(
                "cannot write --events {}: {err}",
                path.display()
            )));
        }
    };
    loop {
        // The events file is flushed whenever the queue runs dry, so what
        // happened is on disk moments later, and at the end.
        let job = match queue.try_recv() {
            Ok(job) => job,
            Err(TryRecvError::Empty) => {
                if let Some((path, file)) = &mut record
                    && let Err(err) = file.flush()
                {
                    record_error(err, path);
                }
                match queue.recv() {
                    Ok(job) => job,
                    Err(_) => break,
                }
            }
            Err(TryRecvError::Disconnected) => break,
        };
        let report = match job {
            Job::Record(bytes) => {
                if let Some((path, file)) = &mut record
                    && let Err(err) = file.write_all(&bytes)
                {
                    record_error(err, path);
                }
                continue;
            }
            Job::Name(addresses) => {
                if let Some(saver) = &mut saver {
                    saver.name(addresses.iter().map(|a| &**a));
                }
                continue;
            }
            Job::Print(_) if stdout_broken => WriteReport::Done,
            Job::Print(poem) => {
                let mut stdout = std::io::stdout().lock();
                match poem.write_to(&mut stdout).and_then(|()| stdout.flush()) {
                    Ok(()) => WriteReport::Done,
                    Err(err) => {
                        stdout_broken = true;
                        WriteReport::StdoutBroken(err)
                    }
                }
            }
            Job::Save {
                complete,
                poem,
                task,
                generation,
                at,
            } => {
                let saved = match &saver {
                    Some(saver) if complete => saver.save_complete(task, &poem).map(drop),
                    Some(saver) => saver.save_partial(task, &poem).map(drop),
                    None => Ok(()),
                };
                match saved {
                    Ok(()) => WriteReport::Done,
                    Err(err) => WriteReport::SaveFailed(SaveFailure {
                        task,
                        generation,
                        at,
                        message: format!("cannot save: {err}"),
                    }),
                }
            }
        };
        if done.send(report).is_err() {
            break;
        }
    }
    if let Some((path, file)) = &mut record
        && let Err(err) = file.flush()
    {
        record_error(err, path);
    }
}
