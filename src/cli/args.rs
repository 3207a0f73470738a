//! The command line's definitions: every option, its default, its help text
//! and how its value is read. The runners live beside this, one per command.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::engine::{Limits, TransformStep};
use crate::serve::Behaviour;
use crate::serve::transform::TransformConfig;

#[derive(Debug, Parser)]
#[command(
    name = "poetry-dash",
    version,
    about = "Download poems from many poetry servers at once and watch every download live.",
    long_about = "Download poems from many poetry servers at once and watch every download live.\n\n\
        A poetry server sends a poem and closes the connection. poetry-dash fetches from all the \
        servers given, concurrently. With a terminal on stdout it opens a live dashboard (press ? \
        there for its keys). Otherwise, or with --plain, it prints progress on stderr and the \
        poems on stdout; with --json, one NDJSON object per event on stdout. Try `poetry-dash demo`.",
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  poetry-dash demo\n  \
        poetry-dash serve ecstasy fascination science --port 10000\n  \
        poetry-dash 10000 10001 10002\n  poetry-dash --json -q @servers.txt > poems.ndjson"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Commands>,
    #[command(flatten)]
    pub fetch: FetchArgs,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Serve poems slowly, like the tutorial's slowpoetry.py (and misbehave on request).
    Serve(ServeArgs),
    /// Start bundled servers on loopback that show every state, and watch them in the dashboard.
    Demo(DemoArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout, e.g. `poetry-dash man > poetry-dash.1`.
    Man,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

/// How results are shown: the dashboard, plain text or NDJSON.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Plain text output even when stdout is a terminal.
    #[arg(long, conflicts_with_all = ["json", "tui"])]
    pub plain: bool,

    /// NDJSON output on stdout: one object per event and a summary.
    #[arg(long, conflicts_with = "tui")]
    pub json: bool,

    /// The dashboard, even when stdout is not a terminal: it is drawn on the terminal
    /// (/dev/tty) and stdout gets the poems, as without it.
    #[arg(long)]
    pub tui: bool,

    /// Hide progress lines (plain) or progress events (NDJSON).
    #[arg(short, long)]
    pub quiet: bool,

    /// Save each poem in DIR, named after its name (NAME=ADDRESS) or else its server; a failed or
    /// cancelled download that received bytes leaves them in a .partial file.
    #[arg(short = 'o', long = "save", value_name = "DIR")]
    pub save: Option<PathBuf>,

    /// Dashboard frames per second at most; nothing is drawn while nothing changes.
    #[arg(allow_negative_numbers = true, long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=240))]
    pub fps: u32,

    /// No colours in the dashboard (so does a non-empty NO_COLOR).
    #[arg(long)]
    pub no_color: bool,

    /// Close the dashboard by itself once every download has ended.
    #[arg(long)]
    pub exit_when_done: bool,

    /// After the dashboard closes, print frame and key-latency statistics.
    #[arg(long)]
    pub stats: bool,

    /// The dashboard's order at start (s changes it).
    #[arg(long, value_enum, value_name = "ORDER", default_value = "given")]
    pub sort: SortArg,

    /// The dashboard's state filter at start (f changes it).
    #[arg(long, value_enum, value_name = "STATES", default_value = "all")]
    pub filter: FilterArg,

    /// Show only rows whose name or address contains TEXT, ignoring case (/ changes it).
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,

    /// Also write every event to FILE as NDJSON (the --json schema), as it happens.
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,

    /// At the end, write the failed and cancelled downloads to FILE, one per line with their
    /// names, so that `-i FILE` retries exactly them.
    #[arg(long, value_name = "FILE")]
    pub save_failed: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SortArg {
    Given,
    State,
    Rate,
    Slowest,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FilterArg {
    All,
    Active,
    Complete,
    Failed,
    Cancelled,
}

impl SortArg {
    pub fn order(self) -> crate::model::view::SortOrder {
        use crate::model::view::SortOrder;
        match self {
            SortArg::Given => SortOrder::Given,
            SortArg::State => SortOrder::State,
            SortArg::Rate => SortOrder::Rate,
            SortArg::Slowest => SortOrder::Slowest,
        }
    }
}

impl FilterArg {
    pub fn filter(self) -> crate::model::view::Filter {
        use crate::model::view::Filter;
        match self {
            FilterArg::All => Filter::All,
            FilterArg::Active => Filter::Active,
            FilterArg::Complete => Filter::Complete,
            FilterArg::Failed => Filter::Failed,
            FilterArg::Cancelled => Filter::Cancelled,
        }
    }
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Servers to download from: PORT (on 127.0.0.1), HOST:PORT, [IPv6]:PORT, each optionally
    /// named (NAME=ADDRESS), or @FILE with one address per line. The same address twice means
    /// two downloads.
    #[arg(value_name = "ADDRESS")]
    pub addresses: Vec<String>,

    /// Read addresses from FILE, one per line ('-' reads stdin); '#' starts a comment. Stdin
    /// (unless it is a file) and FIFOs are read as lines arrive: each starts a download.
    #[arg(short = 'i', long = "input", value_name = "FILE")]
    pub inputs: Vec<PathBuf>,

    /// Give up connecting (name lookup included) after SECS.
    #[arg(allow_negative_numbers = true, long, value_name = "SECS", default_value_t = Seconds(Limits::default().connect_timeout), value_parser = |text: &str| parse_timeout(text).map(Seconds))]
    pub connect_timeout: Seconds,

    /// Fail a download when no byte arrives for SECS.
    #[arg(allow_negative_numbers = true, long, value_name = "SECS", default_value_t = Seconds(Limits::default().idle_timeout), value_parser = |text: &str| parse_timeout(text).map(Seconds))]
    pub idle_timeout: Seconds,

    /// Deadline for each whole download, from its first attempt across retries [default: none].
    #[arg(allow_negative_numbers = true, short = 't', long = "timeout", value_name = "SECS", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,

    /// Largest poem accepted, with an optional K, M or G suffix (powers of 1024); 0 means no limit.
    #[arg(allow_negative_numbers = true, long, value_name = "SIZE", default_value_t = Size(Limits::default().max_bytes.unwrap_or(0)), value_parser = |text: &str| parse_size(text).map(Size))]
    pub max_bytes: Size,

    /// Downloads running at once; 0 means all of them.
    #[arg(allow_negative_numbers = true, short = 'j', long, value_name = "N", default_value_t = 0, value_parser = parse_count::<usize>)]
    pub concurrency: usize,

    /// Extra attempts after a failure, with exponential backoff (0.5 s doubling, at most 30 s, jittered).
    #[arg(allow_negative_numbers = true, long, value_name = "N", default_value_t = 0, value_parser = parse_count::<u32>)]
    pub retries: u32,

    /// Send each downloaded poem to the transform server at ADDRESS (`serve --transform`, or
    /// the tutorial's), asking for transform NAME [default: cummingsify]. Given more than once,
    /// the poem goes through each in order; a step that fails passes its poem on unchanged.
    #[arg(long = "transform", value_name = "[NAME@]ADDRESS", value_parser = parse_transform)]
    pub transforms: Vec<TransformStep>,

    /// Give up on a transform step (connect, request and reply) after SECS.
    #[arg(allow_negative_numbers = true, long, value_name = "SECS", default_value_t = Seconds(Limits::default().transform_timeout), value_parser = |text: &str| parse_timeout(text).map(Seconds))]
    pub transform_timeout: Seconds,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Poem files, or names of bundled poems (see --list). Each gets its own port.
    #[arg(value_name = "POEM", required_unless_present_any = ["list", "transform", "proxy"], conflicts_with_all = ["transform", "proxy"])]
    pub poems: Vec<String>,

    /// Serve transforms instead of poems (the tutorial's Part 12 service): a client sends the
    /// netstring NAME.POEM and gets the transformed poem back. Transforms: cummingsify (lower
    /// case), shout (upper case), reverse (the lines in reverse order), rot13.
    #[arg(long, conflicts_with = "proxy")]
    pub transform: bool,

    /// Serve as a caching proxy of the poetry server at UPSTREAM (PORT, HOST:PORT or [V6]:PORT),
    /// one port per --proxy from --port on: the first client's fetch is shared by
    /// every client that comes while it runs, and cached once it completes.
    #[arg(long, value_name = "UPSTREAM")]
    pub proxy: Vec<String>,

    /// A transform server closes a client that has not sent its whole request within SECS.
    #[arg(allow_negative_numbers = true, long, value_name = "SECS", default_value_t = Seconds(TransformConfig::default().request_timeout), value_parser = |text: &str| parse_timeout(text).map(Seconds), requires = "transform")]
    pub request_timeout: Seconds,

    /// The largest request a transform server reads, poem and name (the tutorial's: 99,999 bytes).
    #[arg(allow_negative_numbers = true, long, value_name = "SIZE", default_value_t = Size(TransformConfig::default().max_request), value_parser = |text: &str| parse_size(text).map(Size), requires = "transform")]
    pub max_request: Size,

    /// The first port to listen on; more poems or copies take the ports after it. 0 picks free ports.
    #[arg(allow_negative_numbers = true, long, default_value_t = 0, value_parser = parse_count::<u16>)]
    pub port: u16,

    /// The interface to listen on.
    #[arg(long, default_value = "localhost")]
    pub iface: String,

    /// Seconds to wait after each write.
    #[arg(allow_negative_numbers = true, long, value_name = "SECS", default_value = "0.7", value_parser = parse_delay)]
    pub delay: Duration,

    /// Bytes to send in each write.
    #[arg(allow_negative_numbers = true, long, value_name = "N", default_value_t = 10, value_parser = parse_num_bytes)]
    pub num_bytes: u64,

    /// Serve each poem on N consecutive ports.
    #[arg(allow_negative_numbers = true, long, value_name = "N", default_value_t = 1, value_parser = parse_copies)]
    pub count: u64,

    /// Send each poem at once instead of slowly.
    #[arg(long)]
    pub fast: bool,

    /// Misbehave: refuse (nothing listens), stall (accept, send nothing), stall:N (send N
    /// bytes, then nothing), reset:N (reset after N bytes), endless (repeat the poem forever), trickle (one byte per --delay),
    /// full (accept queue full: connecting hangs). A transform server: slow (the reply paced by
    /// --num-bytes and --delay), stall (no reply, the connection held), close (closed without a
    /// reply), malformed (a reply whose length is wrong).
    #[arg(long, value_name = "MODE")]
    pub fault: Option<String>,

    /// List the bundled poems and exit.
    #[arg(long)]
    pub list: bool,

    /// Don't print a line for each client.
    #[arg(short, long)]
    pub quiet: bool,
}

pub(crate) fn parse_seconds(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim_end_matches('s')
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(0.0..=1e9).contains(&value) {
        return Err(format!(
            "{text:?} is not a number of seconds between 0 and 1e9"
        ));
    }
    Ok(value)
}

/// A whole number of 0 or more that fits `T`.
fn parse_count<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a whole number of 0 or more (or is too large)"))
}

/// Bytes per write: at least 1.
fn parse_num_bytes(text: &str) -> Result<u64, String> {
    match parse_count::<u64>(text) {
        Ok(0) | Err(_) => Err(format!("{text:?} is not a whole number of 1 or more")),
        Ok(n) => Ok(n),
    }
}

/// Copies of each poem: 1 to 65535 (each takes a port).
fn parse_copies(text: &str) -> Result<u64, String> {
    match parse_count::<u64>(text) {
        Ok(n @ 1..=65535) => Ok(n),
        _ => Err(format!("{text:?} is not a whole number from 1 to 65535")),
    }
}

/// A number of seconds as typed (`10`, `0.7`), and as `--help` shows a
/// default: the defaults themselves are the engine's ([`Limits::default`]),
/// written once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds(pub Duration);

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.as_secs_f64())
    }
}

/// A size in bytes as typed (`8M`, `512K`, `1000`), shown with the largest
/// suffix that divides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bytes = self.0;
        for (suffix, unit) in [("G", 1u64 << 30), ("M", 1 << 20), ("K", 1 << 10)] {
            if bytes != 0 && bytes.is_multiple_of(unit) {
                return write!(f, "{}{suffix}", bytes / unit);
            }
        }
        write!(f, "{bytes}")
    }
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    let value = parse_seconds(text)?;
    if value <= 0.0 {
        return Err("a timeout must be more than 0 seconds".into());
    }
    Ok(Duration::from_secs_f64(value))
}

fn parse_delay(text: &str) -> Result<Duration, String> {
    parse_seconds(text).map(Duration::from_secs_f64)
}

/// `8M`, `512K`, `1G`, `1000` (bytes). Suffixes are powers of 1024.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let upper = text.trim().to_ascii_uppercase();
    let upper = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (digits, scale) = match upper.chars().last() {
        Some('K') => (&upper[..upper.len() - 1], 1u64 << 10),
        Some('M') => (&upper[..upper.len() - 1], 1 << 20),
        Some('G') => (&upper[..upper.len() - 1], 1 << 30),
        _ => (upper, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| {
            format!("{text:?} is not a size: use bytes or a number with K, M or G, e.g. 8M")
        })
}

/// `[NAME@]ADDRESS`: a transform and its server.
fn parse_transform(text: &str) -> Result<TransformStep, String> {
    let (name, address) = match text.split_once('@') {
        Some((name, address)) => (name, address),
        None => ("cummingsify", text),
    };
    // The name goes into the request before a '.', as the tutorial's
    // client puts it: it can hold neither.
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(format!(
            "{name:?} is not a transform name: letters, digits, '-' and '_' only"
        ));
    }
    let address = crate::address::parse(address).map_err(|why| format!("{address:?}: {why}"))?;
    Ok(TransformStep {
        name: name.to_string(),
        address: std::sync::Arc::new(address),
    })
}

pub(crate) fn parse_fault(text: &str) -> Result<Behaviour, String> {
    match text {
        "refuse" => Ok(Behaviour::Refuse),
        "stall" => Ok(Behaviour::Stall),
        "endless" => Ok(Behaviour::Endless),
        "trickle" => Ok(Behaviour::Trickle),
        "full" => Ok(Behaviour::Full),
        _ => {
            let count = |prefix: &str| text.strip_prefix(prefix).and_then(|n| n.parse().ok());
            if let Some(n) = count("reset:") {
                Ok(Behaviour::ResetAfter(n))
            } else if let Some(n) = count("stall:") {
                Ok(Behaviour::StallAfter(n))
            } else {
                Err(format!(
                    "{text:?} is not a fault mode: use refuse, stall, stall:N, reset:N, endless, trickle or full"
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn sizes_take_suffixes() {
        assert_eq!(parse_size("8M"), Ok(8 << 20));
        for size in [0, 1000, 512 << 10, 8 << 20, 3 << 30, (1 << 20) + 1] {
            assert_eq!(parse_size(&Size(size).to_string()), Ok(size), "{size}");
        }
        assert_eq!(Size(8 << 20).to_string(), "8M");
        assert_eq!(Seconds(Duration::from_secs(10)).to_string(), "10");
        assert_eq!(Seconds(Duration::from_millis(700)).to_string(), "0.7");
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("0"), Ok(0));
        assert!(parse_size("8X").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999G").is_err());
    }

    #[test]
    fn timeouts_must_be_positive() {
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("nan").is_err());
        assert_eq!(parse_timeout("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_delay("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn the_definitions_are_consistent() {
        Cli::command().debug_assert();
    }
}
