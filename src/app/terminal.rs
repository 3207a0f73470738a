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
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

pub type Tui = Terminal<ScreenBackend>;

/// Where the dashboard is drawn: stdout when it is a terminal, else the
/// controlling terminal (`/dev/tty`), so that `poetry-dash --tui ... >
/// poems.txt` draws on the terminal and leaves stdout to the poems. Keys
/// come from the same terminal (crossterm reads `/dev/tty` when stdin is not
/// one).
///
/// A frame is collected whole and written at the flush that ends it: one
/// write(2) per frame instead of one per run of cells (`/dev/tty` is not
/// buffered at all). What is left unflushed is dropped, never written: after
/// a panic the hook has already given the terminal back, and half a frame
/// written then would land on the user's screen.
pub struct Screen {
    out: Output,
    frame: Vec<u8>,
}

enum Output {
    Stdout(Stdout),
    Tty(File),
}

impl Screen {
    pub fn open() -> io::Result<Screen> {
        let out = if io::stdout().is_terminal() {
            Output::Stdout(io::stdout())
        } else {
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/tty")
                .map(Output::Tty)
                .map_err(|err| {
                    io::Error::new(
                        err.kind(),
                        format!(
                            "the dashboard needs a terminal: stdout is not one and /dev/tty cannot be opened ({err})"
                        ),
                    )
                })?
        };
        Ok(Screen {
            out,
            frame: Vec::new(),
        })
    }
}

impl Write for Screen {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.frame.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let written = match &mut self.out {
            Output::Stdout(out) => out.write_all(&self.frame).and_then(|()| out.flush()),
            Output::Tty(tty) => tty.write_all(&self.frame),
        };
        self.frame.clear();
        written
    }
}

/// crossterm's backend, drawing on [`Screen`], except that it never asks
/// the terminal where its cursor is. crossterm asks by writing `ESC[6n` to
/// the process's *stdout* whatever the backend writes to, and waits up to
/// 2 s for the answer: with stdout redirected (`--tui > poems.txt`) the
/// query landed in the poem file and the answer never came, which ended the
/// dashboard. ratatui asks only to put the cursor back after clearing a
/// full-screen viewport, so the position it last set is the true answer.
pub struct ScreenBackend {
    inner: CrosstermBackend<Screen>,
    cursor: Position,
}

impl ScreenBackend {
    fn new(screen: Screen) -> Self {
        ScreenBackend {
            inner: CrosstermBackend::new(screen),
            cursor: Position::ORIGIN,
        }
    }
}

impl Write for ScreenBackend {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Write::flush(&mut self.inner)
    }
}

impl Backend for ScreenBackend {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }

    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let position = position.into();
        self.inner.set_cursor_position(position)?;
        self.cursor = position;
        Ok(())
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
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
    Terminal::new(ScreenBackend::new(screen)).inspect_err(|_| leave())
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
///
/// The signal goes to the whole process group, as vim and less send it:
/// the shell gets its prompt back only when every process of the job has
/// stopped, and in `tail -f list | poetry-dash -i -` the `tail` would go on.
pub fn suspend(tui: &mut Tui) -> io::Result<()> {
    leave();
    // Pid 0: every process in our process group (the job), us included.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(0),
        nix::sys::signal::Signal::SIGTSTP,
    )
    .map_err(io::Error::from)?;
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
