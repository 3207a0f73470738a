//! Taking over the terminal, and always giving it back: on quit, error,
//! signal and panic.

use std::fs::File;
use std::io::{self, IsTerminal, Stdout, Write};
use std::sync::Once;

use crossterm::cursor::{Hide, Show};
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Tui = Terminal<CrosstermBackend<Screen>>;

/// Where the dashboard is drawn: stdout when it is a terminal, else the
/// controlling terminal (`/dev/tty`), so that `poetry-dash --tui ... >
/// poems.txt` draws on the terminal and leaves stdout to the poems. Keys
/// come from the same terminal (crossterm reads `/dev/tty` when stdin is not
/// one).
pub enum Screen {
    Stdout(Stdout),
    Tty(File),
}

impl Screen {
    pub fn open() -> io::Result<Screen> {
        if io::stdout().is_terminal() {
            return Ok(Screen::Stdout(io::stdout()));
        }
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .map(Screen::Tty)
            .map_err(|err| {
                io::Error::new(
                    err.kind(),
                    format!(
                        "the dashboard needs a terminal: stdout is not one and /dev/tty cannot be opened ({err})"
                    ),
                )
            })
    }
}

impl Write for Screen {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Screen::Stdout(out) => out.write(buf),
            Screen::Tty(tty) => tty.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Screen::Stdout(out) => out.flush(),
            Screen::Tty(tty) => tty.flush(),
        }
    }
}

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
    let mut screen = Screen::open()?;
    enable_raw_mode()?;
    if let Err(err) = execute!(
        screen,
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste,
        Hide
    ) {
        leave();
        return Err(err);
    }
    Terminal::new(CrosstermBackend::new(screen)).inspect_err(|_| leave())
}

/// Undoes [`enter`]. Safe to call more than once, and when `enter` failed
/// half-way.
pub fn leave() {
    if let Ok(mut screen) = Screen::open() {
        let _ = execute!(
            screen,
            DisableBracketedPaste,
            DisableMouseCapture,
            LeaveAlternateScreen,
            Show
        );
    }
    let _ = disable_raw_mode();
}

/// Ctrl-Z: gives the terminal back as it was found (cooked mode, main
/// screen, cursor, no mouse reporting), stops the process as the shell's
/// job control expects (SIGTSTP), and takes the terminal again once `fg`
/// continues it. The caller redraws.
pub fn suspend(tui: &mut Tui) -> io::Result<()> {
    leave();
    nix::sys::signal::raise(nix::sys::signal::Signal::SIGTSTP).map_err(io::Error::from)?;
    // Continued (SIGCONT): here again.
    enable_raw_mode()?;
    execute!(
        tui.backend_mut(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste,
        Hide
    )?;
    tui.clear()
}

/// Leaves the terminal when dropped, so an early return or `?` cannot
/// forget to.
pub struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        leave();
    }
}
