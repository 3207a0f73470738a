//! The command line: [`args`] defines it, and each command has its runner:
//! [`fetch`] (the dashboard or headless), [`serve`], [`demo`], and the
//! documentation commands (`completions`, `man`) here.

mod args;
mod demo;
mod fetch;
mod proxy;
mod serve;

pub use args::{Cli, Commands, DemoArgs, FetchArgs, OutputArgs, ServeArgs, parse_size};

use clap::{CommandFactory, Parser};

use crate::run::exit;

/// Runs the command line and returns the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => err.exit(), // --help and --version
        Err(err) => {
            // One line that names the argument; clap's tips and usage
            // follow only with --help.
            let rendered = err.render().to_string();
            eprintln!(
                "{}",
                rendered.lines().next().unwrap_or("error: bad arguments")
            );
            return exit::USAGE;
        }
    };
    // Completions and the man page need no runtime; a fetch run gets one
    // thread, a server a pool (see `current_thread_runtime`).
    let runtime = match &cli.command {
        Some(Commands::Serve(_) | Commands::Demo(_)) => tokio::runtime::Runtime::new(),
        _ => current_thread_runtime(),
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return exit::SOME_FAILED;
        }
    };
    match cli.command {
        Some(Commands::Serve(args)) => runtime.block_on(serve::run(args)),
        Some(Commands::Demo(args)) => runtime.block_on(demo::run(args)),
        Some(Commands::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "poetry-dash", &mut script);
            print_all(&script, "the completion script")
        }
        Some(Commands::Man) => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut page) {
                Ok(()) => print_all(&page, "the man page"),
                Err(err) => {
                    eprintln!("error: cannot write the man page: {err}");
                    exit::SOME_FAILED
                }
            }
        }
        None => runtime.block_on(fetch::run(cli.fetch)),
    }
}

/// Writes `bytes` to stdout. A reader that has gone (`| head`) is no error
/// for a command that only prints: it exits quietly.
fn print_all(bytes: &[u8], what: &str) -> i32 {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => exit::ALL_COMPLETE,
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => exit::ALL_COMPLETE,
        Err(err) => {
            eprintln!("error: cannot write {what}: {err}");
            exit::SOME_FAILED
        }
    }
}

pub(crate) fn usage_error(message: impl std::fmt::Display) -> i32 {
    eprintln!("error: {message}");
    exit::USAGE
}

/// Until Ctrl-C or SIGTERM.
pub(crate) async fn until_stopped() {
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut term) => { term.recv().await; }
                Err(_) => std::future::pending::<()>().await,
            }
        } => {}
    }
}

/// A fetch run's runtime: one thread for the run loop and every download.
/// Downloads spend their time waiting on sockets, and one thread keeps up
/// with tens of thousands of them; on one thread an event goes from a
/// download to the loop without waking another thread, which made a short
/// download cost about a sixth less CPU than on a pool of workers (W4 in
/// docs/performance.md). What it costs: a frame or a write to stdout that
/// blocks holds every download for as long (nothing is lost: TCP holds the
/// servers back, and a download that has bytes waiting reads them before
/// its idle clock is looked at). Servers (`serve`, the demo's) keep the
/// pool: there, clients are many and independent.
fn current_thread_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}
