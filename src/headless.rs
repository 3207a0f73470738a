//! The headless face: what a script sees when there is no dashboard. Plain
//! text goes to stderr (poems alone on stdout, so pipes get poems); NDJSON
//! goes to stdout, one object per event. The run loop drives it; the
//! writing itself is [`report`](crate::report)'s.

use std::time::{Duration, Instant};

use crate::engine::Event;
use crate::model::Model;
use crate::report::{Reporter, Subject};
use crate::run::{Face, Outcome, Turn, Want};

/// How often headless output collects the engine's events.
const DRAIN_INTERVAL: Duration = Duration::from_millis(20);

pub struct Headless {
    reporter: Box<dyn Reporter>,
    next_drain: Instant,
}

impl Headless {
    pub fn new(reporter: Box<dyn Reporter>) -> Headless {
        Headless {
            reporter,
            next_drain: Instant::now(),
        }
    }
}

impl Face for Headless {
    /// No input: only signals end a headless run early.
    type Input = std::convert::Infallible;

    async fn input(&mut self) -> Self::Input {
        std::future::pending().await
    }

    fn want(&mut self, input: Self::Input, _model: &Model) -> color_eyre::Result<Want> {
        match input {}
    }

    fn wake_at(&self, _model: &Model) -> Option<Instant> {
        Some(self.next_drain)
    }

    fn event(&mut self, event: &Event, model: &Model) {
        self.reporter.event(event, model);
    }

    fn problem(&mut self, about: Option<Subject>, model: &Model, message: &str) {
        self.reporter.problem(about, model, message);
    }

    fn show(&mut self, _model: &Model, turn: Turn) -> color_eyre::Result<()> {
        if let Turn::Woke { .. } = turn {
            // The next drain a whole interval after this one ended.
            self.next_drain = Instant::now() + DRAIN_INTERVAL;
        }
        // What was held back for one write per batch goes out.
        self.reporter.flush();
        Ok(())
    }

    fn stdout_broken(&mut self) -> Option<std::io::Error> {
        self.reporter
            .stdout_broken()
            .map(|err| std::io::Error::new(err.kind(), err.to_string()))
    }

    fn ends_with_downloads(&self) -> bool {
        true
    }

    fn cancel_grace(&self) -> Option<Duration> {
        None
    }

    fn finish(&mut self, model: &Model, outcome: &Outcome) {
        self.reporter.flush();
        match &outcome.stdout_broken {
            // The poems (or the NDJSON) have nowhere to go: claim nothing.
            Some(err) => {
                eprintln!("error: cannot write to stdout ({err}); stopping");
                for problem in &outcome.finish_problems {
                    eprintln!("error: {problem}");
                }
            }
            None => {
                self.reporter.summary(model, outcome.stopped_early());
                for problem in &outcome.finish_problems {
                    self.reporter.problem(None, model, problem);
                }
                self.reporter.flush();
            }
        }
        if let Some(line) = outcome.bad_lines_line() {
            // Every good line ran; the bad ones were named as they came.
            eprintln!("{line}");
        }
    }
}
