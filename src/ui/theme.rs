//! Colours, and their absence: `NO_COLOR` or `--no-color` give a theme that
//! relies on bold, reverse and symbols alone.

use ratatui::style::{Color, Modifier, Style};

use crate::engine::FailReason;
use crate::model::{Download, LogLevel, State};

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

    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    pub fn plain(&self) -> Style {
        Style::new()
    }

    /// A paused download, in the table and the header.
    pub fn paused(&self) -> Style {
        self.fg(Color::LightMagenta)
    }

    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn selected(&self) -> Style {
        if self.color {
            Style::new()
                .bg(Color::Rgb(40, 50, 70))
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
        self.fg(Color::Yellow)
    }

    pub fn bad(&self) -> Style {
        self.fg(Color::Red)
    }

    pub fn log(&self, level: LogLevel) -> Style {
        match level {
            LogLevel::Info => Style::new(),
            LogLevel::Good => self.good(),
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
            State::Connecting => ("○", "connecting", self.fg(Color::Cyan)),
            // Connected, and not a byte yet.
            State::Receiving if download.received == 0 => ("◌", "waiting", self.fg(Color::Cyan)),
            State::Receiving => (
                "▸",
                "receiving",
                self.fg(Color::Blue).add_modifier(Modifier::BOLD),
            ),
            State::Complete => ("✓", "complete", self.good()),
            State::Empty => ("∅", "empty", self.fg(Color::LightYellow)),
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
