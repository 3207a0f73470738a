//! Formatting what a run shows without a screen: plain lines and the
//! summary ([`plain`]), NDJSON records ([`json`]), the poems' files
//! ([`save`]) and the `--save-failed` list. Nothing here runs anything: the
//! run loop ([`crate::run`]) decides when each is written.

pub mod json;
mod plain;
mod save;

pub use json::JsonReporter;
pub use plain::{PlainReporter, final_summary};
pub use save::{SaveError, Saver};

use std::io;
use std::time::Instant;

use crate::engine::{Event, TaskId};
use crate::model::{Model, State};

/// Which run of which download something is about, and when: what every
/// NDJSON event object carries.
#[derive(Debug, Clone, Copy)]
pub struct Subject {
    pub task: TaskId,
    pub generation: u32,
    pub at: Instant,
}

impl From<&Event> for Subject {
    fn from(event: &Event) -> Subject {
        Subject {
            task: event.task,
            generation: event.generation,
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
    fn problem(&mut self, about: Option<Subject>, model: &Model, message: &str);
    /// Called once when every download has ended.
    fn summary(&mut self, model: &Model, interrupted: bool);
    /// Writes out what was held back for one write per batch of events.
    fn flush(&mut self) {}
    /// Set once writing to stdout failed (a closed pipe): the run stops.
    fn stdout_broken(&self) -> Option<&io::Error>;
}

/// `--save-failed`: the failed and cancelled downloads in the `-i` format,
/// names kept, so `poetry-dash -i FILE` retries exactly them.
pub fn write_failed_list(model: &Model, file: std::fs::File) -> io::Result<()> {
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
