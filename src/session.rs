//! What the dashboard and headless mode both do with the engine's events:
//! fold each into the model, keep the poems that ended on disk, and say
//! which could not be saved. One type, so a fix lands once.
//!
//! Saving (write, fsync, rename) runs on tokio's blocking pool, never on the
//! async loop's thread: a slow disk does not stall a frame, a key or the
//! collection of events. Its outcome comes back through [`Session::saved`].

use std::time::Instant;

use tokio::task::JoinSet;

use crate::engine::{Event, EventKind, TaskId};
use crate::model::{Model, PoemBytes};
use crate::report::Saver;

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
    /// The event it is about, for reporters that want the common fields.
    pub fn about(&self) -> Event {
        Event {
            task: self.task,
            run: self.run,
            at: self.at,
            kind: EventKind::Queued,
        }
    }

    /// `Task 3: cannot save: DIR/NAME.txt: why`.
    pub fn line(&self) -> String {
        format!("Task {}: {}", self.task + 1, self.message)
    }
}

pub struct Session {
    pub model: Model,
    saver: Option<std::sync::Arc<Saver>>,
    saving: JoinSet<Option<SaveFailure>>,
}

impl Session {
    pub fn new(model: Model, saver: Option<Saver>) -> Session {
        Session {
            model,
            saver: saver.map(std::sync::Arc::new),
            saving: JoinSet::new(),
        }
    }

    /// Folds `event` into the model; a download that ended has its poem (or
    /// the part that came) saved in the background. Returns false for an
    /// event the model ignored (an older run's).
    pub fn apply(&mut self, event: &mut Event) -> bool {
        if !self.model.apply(event) {
            return false;
        }
        if let Some(saver) = &self.saver
            && let Some(download) = self.model.get(event.task)
        {
            let complete = match event.kind {
                EventKind::Finished { .. } => true,
                EventKind::Failed { .. } | EventKind::Cancelled { .. }
                    if !download.poem.is_empty() =>
                {
                    false
                }
                _ => return true,
            };
            // The model keeps its poem (the dashboard shows it): the writer
            // gets a copy of the bytes.
            let poem: PoemBytes = download.poem.clone();
            let saver = std::sync::Arc::clone(saver);
            let (task, run, at) = (event.task, event.run, event.at);
            self.saving.spawn_blocking(move || {
                let saved = if complete {
                    saver.save_complete(task, &poem)
                } else {
                    saver.save_partial(task, &poem)
                };
                saved.err().map(|err| SaveFailure {
                    task,
                    run,
                    at,
                    message: format!("cannot save: {err}"),
                })
            });
        }
        true
    }

    /// Saves that have finished and failed since the last call; each is
    /// counted in the model (`unsaved`) and noted in its log.
    pub fn saved(&mut self) -> Vec<SaveFailure> {
        let mut failures = Vec::new();
        while let Some(joined) = self.saving.try_join_next() {
            self.collect(joined, &mut failures);
        }
        failures
    }

    /// Waits for every save still running; returns those that failed.
    pub async fn all_saved(&mut self) -> Vec<SaveFailure> {
        let mut failures = Vec::new();
        while let Some(joined) = self.saving.join_next().await {
            self.collect(joined, &mut failures);
        }
        failures
    }

    fn collect(
        &mut self,
        joined: Result<Option<SaveFailure>, tokio::task::JoinError>,
        failures: &mut Vec<SaveFailure>,
    ) {
        let failure = match joined {
            Ok(None) => return,
            Ok(Some(failure)) => failure,
            Err(err) => SaveFailure {
                task: 0,
                run: 0,
                at: Instant::now(),
                message: format!("cannot save: the writer failed ({err})"),
            },
        };
        self.model.unsaved += 1;
        self.model.note(
            failure.at,
            failure.task,
            crate::model::LogLevel::Bad,
            failure.message.clone(),
        );
        failures.push(failure);
    }
}
