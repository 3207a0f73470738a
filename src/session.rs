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
use crate::report::{About, Saver};

/// A poem that could not be saved: which download, which run, when, and why
/// (naming the poem's own file).
#[derive(Debug, Clone)]
pub struct SaveFailure {
    pub task: TaskId,
    pub run: u32,
    pub at: Instant,
    pub message: String,
}

impl SaveFailure {
    /// The download it is about, for reporters that want the common fields.
    pub fn about(&self) -> About {
        About {
            task: self.task,
            run: self.run,
            at: self.at,
        }
    }

    /// `Task 3: cannot save: DIR/NAME.txt: why`.
    pub fn line(&self) -> String {
        format!("Task {}: {}", self.task, self.message)
    }
}

/// What the writer thread reports for each job.
#[derive(Debug)]
pub enum Written {
    Done,
    SaveFailed(SaveFailure),
    /// Stdout could not be written (a closed pipe): the run should stop.
    StdoutBroken(std::io::Error),
}

enum Job {
    Save {
        complete: bool,
        poem: PoemBytes,
        task: TaskId,
        run: u32,
        at: Instant,
    },
    Print(PoemBytes),
    /// Downloads added to the end of the list: the saver names their files.
    Name(Vec<Arc<Address>>),
}

pub struct Session {
    pub model: Model,
    saving: bool,
    printing: bool,
    jobs: Option<std::sync::mpsc::Sender<Job>>,
    written: mpsc::UnboundedReceiver<Written>,
    pending: usize,
}

impl Session {
    /// A session that saves with `saver` (if any) and, with `print_poems`,
    /// writes each complete poem to stdout byte for byte.
    pub fn new(model: Model, saver: Option<Saver>, print_poems: bool) -> Session {
        let (done, written) = mpsc::unbounded_channel();
        let saving = saver.is_some();
        let jobs = (saving || print_poems).then(|| {
            let (jobs, queue) = std::sync::mpsc::channel::<Job>();
            std::thread::spawn(move || write_in_order(queue, saver, done));
            jobs
        });
        Session {
            model,
            saving,
            printing: print_poems,
            jobs,
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
                run: event.run,
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

    /// Writes still in progress.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// The writer's reports that have arrived, without waiting. A failed save
    /// is counted in the model (`unsaved`) and noted in its log.
    pub fn written(&mut self) -> Vec<Written> {
        let mut reports = Vec::new();
        while let Ok(report) = self.written.try_recv() {
            reports.push(self.count(report));
        }
        reports
    }

    /// The next report of the writer, waiting for it (pending forever when
    /// nothing is being written).
    pub async fn next_written(&mut self) -> Written {
        if self.pending == 0 {
            return std::future::pending().await;
        }
        match self.written.recv().await {
            Some(report) => self.count(report),
            None => std::future::pending().await,
        }
    }

    /// Waits for every write still running; returns their reports.
    pub async fn all_written(&mut self) -> Vec<Written> {
        let mut reports = Vec::new();
        while self.pending > 0 {
            match self.written.recv().await {
                Some(report) => reports.push(self.count(report)),
                None => break,
            }
        }
        reports
    }

    fn count(&mut self, report: Written) -> Written {
        self.pending = self.pending.saturating_sub(1);
        if let Written::SaveFailed(failure) = &report {
            self.model.unsaved += 1;
            self.model.note(
                failure.at,
                failure.task,
                crate::model::LogLevel::Bad,
                failure.message.clone(),
            );
        }
        report
    }
}

/// The writer thread: each job in the order given, a report for each.
fn write_in_order(
    queue: std::sync::mpsc::Receiver<Job>,
    saver: Option<Saver>,
    done: mpsc::UnboundedSender<Written>,
) {
    use std::io::Write;
    let mut stdout_broken = false;
    let mut saver = saver;
    for job in queue {
        let report = match job {
            Job::Name(addresses) => {
                if let Some(saver) = &mut saver {
                    saver.name(addresses.iter().map(|a| &**a));
                }
                continue;
            }
            Job::Print(_) if stdout_broken => Written::Done,
            Job::Print(poem) => {
                let mut stdout = std::io::stdout().lock();
                match poem.write_to(&mut stdout).and_then(|()| stdout.flush()) {
                    Ok(()) => Written::Done,
                    Err(err) => {
                        stdout_broken = true;
                        Written::StdoutBroken(err)
                    }
                }
            }
            Job::Save {
                complete,
                poem,
                task,
                run,
                at,
            } => {
                let saved = match &saver {
                    Some(saver) if complete => saver.save_complete(task, &poem).map(drop),
                    Some(saver) => saver.save_partial(task, &poem).map(drop),
                    None => Ok(()),
                };
                match saved {
                    Ok(()) => Written::Done,
                    Err(err) => Written::SaveFailed(SaveFailure {
                        task,
                        run,
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
}
