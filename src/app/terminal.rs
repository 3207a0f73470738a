//! Taking over the terminal, and always giving it back: on quit, error,
//! signal and panic.

use std::io::{self, Stdout};
use std::sync::Once;

use crossterm::cursor::{Hide, Show};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Raw mode, the alternate screen, mouse reporting and a hidden cursor.
/// Install color-eyre before calling this: the panic hook added here
/// restores the terminal first and then hands over to the hook it found, so
/// a panic report is printed on a usable screen.
pub fn enter() -> io::Result<Tui> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            leave();
            previous(info);
        }));
    });
    enable_raw_mode()?;
    let mut stdout = io::stdout();
    if let Err(err) = execute!(stdout, EnterAlternateScreen, EnableMouseCapture, Hide) {
        leave();
        return Err(err);
    }
    Terminal::new(CrosstermBackend::new(stdout)).inspect_err(|_| leave())
}

/// Undoes [`enter`]. Safe to call more than once, and when `enter` failed
/// half-way.
pub fn leave() {
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        Show
    );
    let _ = disable_raw_mode();
}

/// Leaves the terminal when dropped, so an early return or `?` cannot
/// forget to.
pub struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        leave();
    }
}
