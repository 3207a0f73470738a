//! The dashboard face: the terminal's keys become what the user wants, and
//! the model is drawn when something changed (or, while downloads run, when
//! the clocks on screen would have moved). The run loop ([`crate::run`])
//! drives it.

mod keys;
mod perf;
pub mod terminal;

use std::time::{Duration, Instant};

use crossterm::event::EventStream;
use futures_util::StreamExt;

use crate::engine::{Event, TaskId};
use crate::model::Model;
use crate::model::view::{Filter, PromptDone, PromptInput, STATUS_FOR, SortOrder, View};
use crate::report::{self, Subject};
use crate::run::{Face, Outcome, Turn, Want};
use crate::ui::{self, Areas, Theme};
use keys::Input;
use perf::Perf;

/// How often the clocks on screen move while downloads run.
const CLOCK_TICK: Duration = Duration::from_millis(100);

#[derive(Debug, Clone)]
pub struct DashboardOptions {
    pub fps: u32,
    pub theme: Theme,
    /// Close the dashboard once every download has ended.
    pub exit_when_done: bool,
    /// Print frame and key-latency statistics after closing.
    pub stats: bool,
    /// The view at start (`--sort`, `--filter`, `--search`).
    pub sort: SortOrder,
    pub filter: Filter,
    pub search: String,
}

pub struct Dashboard {
    /// The terminal, from [`Face::start`] until [`Face::close`].
    tui: Option<terminal::Tui>,
    input: Option<EventStream>,
    view: View,
    areas: Areas,
    options: DashboardOptions,
    perf: Perf,
    frame: Duration,
    /// Something changed since the last frame.
    dirty: bool,
    /// Draw at the end of this turn.
    draw_now: bool,
    last_draw: Instant,
    /// The frame timer's next tick.
    tick_at: Instant,
    /// The terminal was taken (and downloads started).
    started: bool,
}

impl Dashboard {
    pub fn new(options: DashboardOptions) -> Dashboard {
        let frame = Duration::from_secs_f64(1.0 / f64::from(options.fps.clamp(1, 240)));
        let now = Instant::now();
        Dashboard {
            tui: None,
            input: None,
            view: View {
                sort: options.sort,
                filter: options.filter,
                search: options.search.clone(),
                ..View::default()
            },
            areas: Areas::default(),
            options,
            perf: Perf::default(),
            frame,
            dirty: true,
            draw_now: false,
            last_draw: now - frame,
            tick_at: now,
            started: false,
        }
    }

    /// A status message is on screen: draw again once it has faded.
    fn fading(&self) -> bool {
        self.view
            .status
            .as_ref()
            .is_some_and(|(_, at)| at.elapsed() < STATUS_FOR + self.frame * 2)
    }

    /// A key typed into the open prompt; Enter in the add prompt asks for
    /// the servers typed (all of them, or none and the error says why).
    fn prompt_input(&mut self, typed: PromptInput) -> Want {
        let PromptDone::Add(text) = self.view.prompt_input(typed) else {
            return Want::Nothing;
        };
        match crate::address::parse_many(&text) {
            Ok(addresses) if addresses.is_empty() => {
                self.view.prompt_failed(
                    "type one or more addresses: PORT, HOST:PORT or NAME=ADDRESS".into(),
                );
                Want::Nothing
            }
            Ok(addresses) => Want::Add(addresses),
            Err(err) => {
                self.view.prompt_failed(err.to_string());
                Want::Nothing
            }
        }
    }

    fn draw(&mut self, model: &Model) -> color_eyre::Result<()> {
        // (Nothing to draw on once the terminal is given back.)
        let Some(tui) = &mut self.tui else {
            return Ok(());
        };
        let started = std::time::Instant::now();
        // The overlay stays out of the way of the help popup.
        let stats = (self.view.overlay && !self.view.help).then(|| self.perf.stats(started));
        tui.draw(|frame| {
            self.areas = ui::show(frame, model, &mut self.view, started, &self.options.theme);
            if let Some(stats) = &stats {
                ui::overlay::draw(
                    frame,
                    self.areas.poem,
                    stats,
                    &self.options.theme,
                    self.view.gallery,
                );
            }
        })?;
        self.perf.frame(started, started.elapsed());
        // Debug builds only: lets the end-to-end tests prove that a panic
        // mid-dashboard still restores the terminal and prints its report.
        #[cfg(debug_assertions)]
        if self.perf.frame_count == 3 && std::env::var_os("POETRY_DASH_TEST_PANIC").is_some() {
            panic!("test panic requested by POETRY_DASH_TEST_PANIC");
        }
        // Likewise for a terminal that fails mid-run (debug builds only).
        #[cfg(debug_assertions)]
        if self.perf.frame_count == 10 && std::env::var_os("POETRY_DASH_TEST_DRAW_ERROR").is_some()
        {
            return Err(color_eyre::eyre::eyre!(
                "test drawing error requested by POETRY_DASH_TEST_DRAW_ERROR"
            ));
        }
        Ok(())
    }
}

impl Drop for Dashboard {
    /// However the run ends, the terminal is given back.
    fn drop(&mut self) {
        self.close();
    }
}

impl Face for Dashboard {
    type Input = Option<std::io::Result<crossterm::event::Event>>;

    fn start(&mut self) -> color_eyre::Result<()> {
        self.tui = Some(terminal::enter()?);
        self.input = Some(EventStream::new());
        self.started = true;
        Ok(())
    }

    async fn input(&mut self) -> Self::Input {
        match &mut self.input {
            Some(input) => input.next().await,
            None => std::future::pending().await,
        }
    }

    fn want(&mut self, input: Self::Input, model: &Model) -> color_eyre::Result<Want> {
        let terminal_event = match input {
            Some(Ok(terminal_event)) => terminal_event,
            Some(Err(err)) => return Err(err.into()),
            // The terminal's input has ended.
            None => return Ok(Want::Quit),
        };
        let Some(input) = keys::input(&terminal_event, &self.areas, self.view.prompt.is_some())
        else {
            return Ok(Want::Nothing);
        };
        self.draw_now = true;
        Ok(match input {
            Input::Action(action) => {
                self.perf.key_pressed();
                let command = self.view.handle(action, model, Instant::now());
                if self.view.quit {
                    Want::Quit
                } else {
                    command.map_or(Want::Nothing, Want::Command)
                }
            }
            Input::Prompt(typed) => {
                self.perf.key_pressed();
                self.prompt_input(typed)
            }
            Input::Suspend => Want::Suspend,
            Input::Redraw => {
                if let Some(tui) = &mut self.tui {
                    tui.clear()?;
                }
                Want::Nothing
            }
            Input::Interrupt => Want::Interrupt,
        })
    }

    fn added(&mut self, first: TaskId, count: usize) {
        let first = first.index() + 1;
        let message = match count {
            1 => format!("added task {first}"),
            n => format!("added tasks {first} to {}", first + n - 1),
        };
        self.view.prompt_done(Instant::now(), message);
    }

    fn poems_in_view(&self) -> (Option<TaskId>, &[TaskId]) {
        let cards = if self.view.gallery {
            &self.view.gallery_cards[..]
        } else {
            &[]
        };
        (self.view.selected, cards)
    }

    fn wake_at(&self, model: &Model) -> Option<Instant> {
        // While downloads run, events are collected once per frame rather
        // than waking the loop one by one; once everything has ended the
        // loop sleeps until a key, a signal or an event (a retry) arrives,
        // and draws nothing.
        let active = !model.all_ended();
        (active || self.dirty || self.fading()).then_some(self.tick_at)
    }

    fn event(&mut self, event: &Event, _model: &Model) {
        self.perf.event(event.at.elapsed());
    }

    fn problem(&mut self, _about: Option<Subject>, _model: &Model, _message: &str) {
        // In the log pane already; printed again once the screen is gone.
        self.dirty = true;
    }

    fn show(&mut self, model: &Model, turn: Turn) -> color_eyre::Result<()> {
        let active = !model.all_ended();
        match turn {
            Turn::Woke { changed } => {
                let now = Instant::now();
                self.tick_at = now + self.frame;
                self.dirty |= changed;
                // Clocks and rates on screen move even without events.
                let since = now.duration_since(self.last_draw);
                let clocks_moved = active && since >= CLOCK_TICK;
                let faded = self.fading() && since >= CLOCK_TICK;
                self.draw_now |=
                    self.dirty || clocks_moved || faded || (active && self.view.overlay);
            }
            Turn::Arrived => {
                self.dirty = true;
                self.tick_at = Instant::now();
            }
            Turn::Acted => {}
            Turn::Last => self.draw_now = self.options.exit_when_done,
        }
        if std::mem::take(&mut self.draw_now) {
            self.draw(model)?;
            self.last_draw = Instant::now();
            self.dirty = false;
        }
        Ok(())
    }

    fn suspend(&mut self) -> color_eyre::Result<()> {
        if let Some(tui) = &mut self.tui {
            terminal::suspend(tui)?;
        }
        self.draw_now = true;
        Ok(())
    }

    fn ends_with_downloads(&self) -> bool {
        self.options.exit_when_done
    }

    fn cancel_grace(&self) -> Option<Duration> {
        Some(crate::run::CANCEL_GRACE)
    }

    fn close(&mut self) {
        self.input = None;
        if self.tui.take().is_some() {
            terminal::leave();
        }
    }

    fn finish(&mut self, model: &Model, outcome: &Outcome) {
        if !self.started {
            // The terminal could not be taken: nothing ran.
            if let Some(err) = &outcome.face_failed {
                eprintln!("error: {err:#}");
            }
            return;
        }
        if let Some(err) = &outcome.stdout_broken {
            eprintln!("error: cannot write to stdout ({err}); stopped");
        }
        eprint!("{}", report::final_summary(model, outcome.stopped_early()));
        // The log pane that showed them is gone with the screen.
        for line in &outcome.unsaved {
            eprintln!("{line}");
        }
        if let Some(message) = &outcome.record_failed {
            eprintln!("error: {message}");
        }
        for message in &outcome.bad_lines {
            eprintln!("error: {message} (skipped)");
        }
        for problem in &outcome.finish_problems {
            eprintln!("error: {problem}");
        }
        if self.options.stats {
            eprint!("{}", self.perf.report());
        }
        if let Some(err) = &outcome.face_failed {
            eprintln!("error: {err:#}");
        }
        if let Some(line) = outcome.bad_lines_line() {
            eprintln!("{line}");
        }
    }
}
