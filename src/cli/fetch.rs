//! Fetching: the addresses and limits from the command line, then the
//! dashboard or headless output.

use std::io::IsTerminal;

use super::usage_error;
use super::{FetchArgs, OutputArgs};
use crate::address::{self, Address};
use crate::app::{self, DashboardOptions};
use crate::engine::{self, FdBudget, Limits, RunConfig};
use crate::report::{self, JsonReporter, PlainReporter, Reporter, Saver, exit};
use crate::ui::Theme;

pub async fn run(args: FetchArgs) -> i32 {
    let addresses = match address::collect(&args.addresses, &args.inputs) {
        Ok(addresses) => addresses,
        Err(err) => return usage_error(err),
    };
    if addresses.is_empty() {
        return usage_error("no servers given: name at least one ADDRESS (see --help)");
    }
    let mut concurrency = args.concurrency;
    if let Some(limit) = engine::raise_fd_limit() {
        let (fitted, lowered) = FdBudget { limit }.fit(addresses.len(), concurrency);
        if lowered {
            eprintln!(
                "note: {} downloads at once need more file descriptors than the limit of {limit} \
                 (ulimit -n) allows; running at most {fitted} at a time",
                if concurrency == 0 {
                    addresses.len()
                } else {
                    concurrency
                },
            );
            concurrency = fitted;
        }
    }
    let config = RunConfig {
        limits: Limits {
            connect_timeout: args.connect_timeout,
            idle_timeout: args.idle_timeout,
            deadline: args.timeout,
            max_bytes: (args.max_bytes > 0).then_some(args.max_bytes),
        },
        concurrency,
        retries: args.retries,
        ..RunConfig::default()
    };
    show(addresses, config, &args.output).await
}

/// Runs the downloads in the dashboard or headless, as `output` asks, and
/// returns the exit status.
pub(super) async fn show(addresses: Vec<Address>, config: RunConfig, output: &OutputArgs) -> i32 {
    let saver = match &output.save {
        Some(dir) => match Saver::new(dir) {
            Ok(saver) => Some(saver),
            Err(err) => return usage_error(err),
        },
        None => None,
    };
    let dashboard =
        output.tui || (!output.plain && !output.json && std::io::stdout().is_terminal());
    if dashboard {
        if let Err(err) = app::terminal::Screen::open() {
            return usage_error(err);
        }
        // Installed before the terminal is taken over, so that a panic
        // prints its report after the terminal is restored.
        let _ = color_eyre::install();
        let options = DashboardOptions {
            fps: output.fps,
            theme: Theme::from_env(output.no_color),
            exit_when_done: output.exit_when_done,
            stats: output.stats,
        };
        return match app::run(addresses, config, options, saver).await {
            Ok(status) => status,
            Err(err) => {
                eprintln!("error: {err:#}");
                exit::SOME_FAILED
            }
        };
    }
    let mut reporter: Box<dyn Reporter> = if output.json {
        Box::new(JsonReporter::new(output.quiet))
    } else {
        Box::new(PlainReporter::new(output.quiet))
    };
    report::run_headless(addresses, config, reporter.as_mut(), saver).await
}
