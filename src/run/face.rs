//! A face shows a run: the dashboard, or headless output (plain text or
//! NDJSON). The run loop drives it; the face never touches the engine, the
//! intake or the writer, it only says what it wants.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::address::Address;
use crate::engine::{Command, Event, TaskId};
use crate::model::Model;
use crate::report::Subject;

use super::Outcome;

/// What the face (its user) wants the run to do next.
pub enum Want {
    /// Nothing of the run's: the face dealt with it (a view change).
    Nothing,
    /// A command for the engine: retry, cancel, pause.
    Command(Command),
    /// New downloads at the end of the list (typed into the dashboard).
    Add(Vec<Address>),
    /// Suspend the process (Ctrl-Z): every clock is held until it goes on.
    Suspend,
    /// End the run, cancelling what still runs.
    Quit,
    /// End it as a Ctrl-C does (status 130).
    Interrupt,
}

/// Why the loop asks the face to show the model now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// The face's own wake-up ([`Face::wake_at`]) came; the events and
    /// reports waiting were applied first (`changed`: there were some).
    Woke { changed: bool },
    /// Something arrived while every download had ended (an event, a line,
    /// a writer's report): the face should show it soon.
    Arrived,
    /// The face's want was carried out.
    Acted,
    /// The run ends here (every download ended and the face ends with
    /// them): the last look.
    Last,
}

pub trait Face {
    /// What the face's input yields (the dashboard: a terminal event).
    type Input;

    /// Called once, before anything starts (the dashboard takes the
    /// terminal here).
    fn start(&mut self) -> color_eyre::Result<()> {
        Ok(())
    }

    /// The next input. Pending forever for a face without input; it must be
    /// cancel-safe (a `select!` branch).
    fn input(&mut self) -> impl Future<Output = Self::Input>;

    /// What an input asks for.
    fn want(&mut self, input: Self::Input, model: &Model) -> color_eyre::Result<Want>;

    /// The rows its [`Want::Add`] asked for were added: `count` from `first`.
    fn added(&mut self, _first: TaskId, _count: usize) {}

    /// When the face wants to be woken ([`Turn::Woke`]), if at all.
    fn wake_at(&self, model: &Model) -> Option<Instant>;

    /// `event` was just applied to `model` (each in turn, before the next
    /// is applied: a reporter reads the download as that event left it).
    fn event(&mut self, event: &Event, model: &Model);

    /// A problem of ours (not a server's), with the download it is about.
    /// The model's log has it already.
    fn problem(&mut self, about: Option<Subject>, model: &Model, message: &str);

    /// Shows the model, as `turn` asks.
    fn show(&mut self, model: &Model, turn: Turn) -> color_eyre::Result<()>;

    /// The poems it shows: the one it follows as it grows, if any, and
    /// others shown as they are (the gallery's cards). The loop brings
    /// their text indexes up to date before [`Face::show`].
    fn poems_in_view(&self) -> (Option<TaskId>, &[TaskId]) {
        (None, &[])
    }

    /// Stdout could not be written: the run stops. (Poems printed by the
    /// writer thread are reported by it instead.)
    fn stdout_broken(&mut self) -> Option<std::io::Error> {
        None
    }

    /// Steps out for Ctrl-Z and back once continued.
    fn suspend(&mut self) -> color_eyre::Result<()> {
        Ok(())
    }

    /// Whether the run ends once every download has ended (headless; the
    /// dashboard stays until the user quits, unless `--exit-when-done`).
    fn ends_with_downloads(&self) -> bool;

    /// How long, once the run ends, the downloads it cancelled are waited
    /// for so what they got is counted and saved (`None`: until they end).
    fn cancel_grace(&self) -> Option<Duration>;

    /// The run is ending: give back what was taken (the terminal).
    fn close(&mut self) {}

    /// The last words: the summary and what went wrong.
    fn finish(&mut self, model: &Model, outcome: &Outcome);
}
