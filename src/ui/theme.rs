//! Colours, and their absence: `NO_COLOR` or `--no-color` give a theme that
//! relies on bold, reverse and symbols alone.
//!
//! The terminal's background may be dark or light, and we cannot know which.
//! So text that must be read (keys, titles, counts, the words of a state)
//! is in the terminal's own foreground, made to stand out with bold; colour
//! goes on symbols and marks beside it, and on text only in colours whose
//! contrast is at least 3:1 on white and on black in both the xterm and the
//! Tango palettes (bright magenta, bright red, bright blue: the README says
//! how this was checked). Every fixed background comes with
//! its own fixed foreground.

use ratatui::style::{Color, Modifier, Style};

use crate::engine::{FailReason, StepPhase};
use crate::model::{Download, LogLevel, State};

/// The selected row's colours: 11:1, whatever the terminal's own.
pub const fn selected_fg() -> Color {
    Color::Rgb(240, 240, 240)
}

pub const fn selected_bg() -> Color {
    Color::Rgb(40, 50, 70)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn new(color: bool) -> Self {
        Theme { color }
    }

    /// Colour unless `NO_COLOR` is set to anything non-empty
    /// (<https://no-color.org>).
    pub fn from_env(no_color_flag: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme::new(!(no_color || no_color_flag))
    }

    fn fg(&self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    /// For what need not be read: unfocused borders, the symbols of rows
    /// at rest. (Dark grey is under 3:1 on some dark themes: never text.)
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    /// The terminal's own foreground, said outright: text drawn over a
    /// coloured border (a pane's title) would otherwise take the border's
    /// colour.
    pub fn plain(&self) -> Style {
        Style::new().fg(Color::Reset)
    }

    /// A paused download, in the table and the header.
    pub fn paused(&self) -> Style {
        self.fg(Color::LightMagenta).add_modifier(Modifier::BOLD)
    }

    pub fn title(&self) -> Style {
        self.plain().add_modifier(Modifier::BOLD)
    }

    pub fn key(&self) -> Style {
        self.plain().add_modifier(Modifier::BOLD)
    }

    /// The selected row: a fixed light foreground on a fixed dark blue
    /// (11:1), laid over the whole row so that no cell's own colour is left
    /// on it; reverse video without colour.
    pub fn selected(&self) -> Style {
        if self.color {
            Style::new()
                .fg(selected_fg())
                .bg(selected_bg())
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn border(&self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, true) => Style::new().fg(Color::Cyan),
            (true, false) => Style::new().add_modifier(Modifier::BOLD),
            (false, _) => self.dim(),
        }
    }

    pub fn good(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn warning(&self) -> Style {
        self.fg(Color::LightMagenta)
    }

    pub fn bad(&self) -> Style {
        self.fg(Color::LightRed)
    }

    pub fn log(&self, level: LogLevel) -> Style {
        match level {
            LogLevel::Info => Style::new(),
            // Green text reads 2:1 on white: a good line is plain.
            LogLevel::Good => Style::new(),
            LogLevel::Warning => self.warning(),
            LogLevel::Bad => self.bad(),
        }
    }

    /// Symbol, label and style of a download's state, failures told apart by
    /// their reason.
    pub fn state(&self, download: &Download) -> (&'static str, &'static str, Style) {
        if download.paused && !download.state.is_final() {
            return ("‖", "paused", self.paused());
        }
        match download.state {
            State::Queued => ("·", "queued", self.dim()),
            State::Connecting => ("○", "connecting", self.fg(Color::LightBlue)),
            // Connected, and not a byte yet.
            State::Receiving if download.received == 0 => {
                ("◌", "waiting", self.fg(Color::LightBlue))
            }
            State::Receiving => (
                "▸",
                "receiving",
                self.fg(Color::LightBlue).add_modifier(Modifier::BOLD),
            ),
            // ⇄ says transform (see the help's symbols); the words say
            // which phase of the step.
            State::Transforming => (
                "⇄",
                match download.chain().map(|chain| chain.phase) {
                    Some(StepPhase::Connecting) | None => "connecting",
                    Some(StepPhase::Sending { .. }) => "sending",
                    Some(StepPhase::Waiting) => "waiting",
                    Some(StepPhase::Receiving { .. }) => "receiving",
                },
                self.fg(Color::LightBlue).add_modifier(Modifier::BOLD),
            ),
            // Complete, but a step of its chain did not transform it.
            State::Complete if download.not_transformed => {
                let partly = download.chain().is_some_and(|c| c.transformed());
                let label = if partly {
                    "partly transformed"
                } else {
                    "untransformed"
                };
                ("✓", label, self.warning())
            }
            State::Complete if download.chain().is_some_and(|c| c.transformed()) => {
                ("✓", "transformed", self.good())
            }
            State::Complete => ("✓", "complete", self.good()),
            State::Empty => ("∅", "empty", self.warning()),
            State::Cancelled => ("⊘", "cancelled", self.dim()),
            State::Retrying => ("↻", "retrying", self.warning()),
            State::Failed => match download.fail_reason() {
                Some(FailReason::Reset) => ("✂", "truncated", self.fg(Color::Magenta)),
                Some(
                    FailReason::IdleTimeout(_)
                    | FailReason::ConnectTimeout(_)
                    | FailReason::Deadline(_),
                ) => ("◷", "timed out", self.fg(Color::LightRed)),
                Some(FailReason::Refused) => ("✗", "refused", self.bad()),
                Some(FailReason::TooLarge { .. }) => ("▲", "too large", self.bad()),
                Some(FailReason::NameNotResolved { .. }) => ("?", "no such host", self.bad()),
                Some(FailReason::Io { .. }) | None => ("✗", "failed", self.bad()),
            },
        }
    }
}
