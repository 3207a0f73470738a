//! Fetching: the addresses and limits from the command line, then the
//! dashboard or headless output.

use std::io::IsTerminal;

use super::usage_error;
use super::{FetchArgs, OutputArgs};
use std::path::PathBuf;

use crate::address;
use crate::app::{self, Dashboard, DashboardOptions};
use crate::engine::{self, FdBudget, Limits, RunConfig};
use crate::headless::Headless;
use crate::model::Model;
use crate::report::{JsonReporter, PlainReporter, Reporter, Saver};
use crate::run::{self, Setup, Sources};
use crate::session::Outputs;
use crate::ui::Theme;

pub async fn run(args: FetchArgs) -> i32 {
    let addresses = match address::collect(&args.addresses, &args.inputs) {
        Ok(addresses) => addresses,
        Err(err) => return usage_error(err),
    };
    // Stdin and FIFOs are read as their lines arrive (one at most: two
    // streams would interleave in no order anyone chose).
    let streams: Vec<&PathBuf> = args
        .inputs
        .iter()
        .filter(|p| address::is_stream(p))
        .collect();
    let dashboard = dashboard_wanted(&args.output);
    let stream = match streams.as_slice() {
        [] => None,
        // Raw mode turns Enter into a carriage return and the keys come
        // from that same terminal: typed addresses go through `a` instead.
        [path] if dashboard && path.as_os_str() == "-" && std::io::stdin().is_terminal() => {
            return usage_error(
                "-i - would read the terminal the dashboard reads its keys from: \
                 pipe the addresses in, or press a in the dashboard to type them",
            );
        }
        [path] => Some(address::stream(path)),
        _ => return usage_error("at most one -i may be stdin or a FIFO"),
    };
    // (An -i list with no address in it, such as a --save-failed file of a
    // run where nothing failed, is nothing to do, not a mistake.)
    if addresses.is_empty() && stream.is_none() && args.inputs.is_empty() {
        return usage_error("no servers given: name at least one ADDRESS (see --help)");
    }
    // A stream's length is unknown, and the dashboard's `a` adds more: as
    // many as they may bring.
    let more_may_come = stream.is_some() || dashboard;
    let downloads = match stream {
        Some(_) => usize::MAX,
        None => addresses.len(),
    };
    let mut concurrency = args.concurrency;
    if let Some(limit) = engine::raise_fd_limit() {
        let budget = FdBudget { limit };
        let (fitted, lowered) = budget.fit(downloads, concurrency);
        if concurrency == 0 && more_may_come && !(lowered && stream.is_none()) {
            // Downloads still to come have no count to speak of: at most
            // what the descriptors allow run at once.
            concurrency = budget.fit(usize::MAX, 0).0;
        } else if lowered {
            eprintln!(
                "note: {} downloads at once need more file descriptors than the limit of {limit} \
                 (ulimit -n) allows; running at most {fitted} at a time",
                if concurrency == 0 {
                    downloads
                } else {
                    concurrency
                },
            );
            concurrency = fitted;
        }
    }
    let config = RunConfig {
        limits: Limits {
            connect_timeout: args.connect_timeout.0,
            idle_timeout: args.idle_timeout.0,
            deadline: args.timeout,
            max_bytes: (args.max_bytes.0 > 0).then_some(args.max_bytes.0),
            transform_timeout: args.transform_timeout.0,
        },
        concurrency,
        retries: args.retries,
        transforms: args.transforms.clone(),
        ..RunConfig::default()
    };
    let input = Sources { addresses, stream };
    show(input, config, &args.output).await
}

/// Whether `output` asks for the dashboard (or leaves it to a terminal).
fn dashboard_wanted(output: &OutputArgs) -> bool {
    output.tui || (!output.plain && !output.json && std::io::stdout().is_terminal())
}

/// Runs the downloads in the dashboard or headless, as `output` asks, and
/// returns the exit status.
pub(super) async fn show(input: Sources, config: RunConfig, output: &OutputArgs) -> i32 {
    let saver = match &output.save {
        Some(dir) => match Saver::new(dir) {
            Ok(saver) => Some(saver),
            Err(err) => return usage_error(err),
        },
        None => None,
    };
    let events = match &output.events {
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => Some((path.clone(), file)),
            Err(err) => {
                return usage_error(format!("cannot create --events {}: {err}", path.display()));
            }
        },
        None => None,
    };
    let save_failed = match &output.save_failed {
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => Some((path.clone(), file)),
            Err(err) => {
                return usage_error(format!(
                    "cannot create --save-failed {}: {err}",
                    path.display()
                ));
            }
        },
        None => None,
    };
    let keep = Outputs {
        saver,
        events,
        save_failed,
    };
    if dashboard_wanted(output) {
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
            sort: output.sort.order(),
            filter: output.filter.filter(),
            search: output.search.clone().unwrap_or_default(),
        };
        let setup = Setup {
            model: Model::for_dashboard([], config.limits).with_transforms(&config.transforms),
            sources: input,
            config,
            keep,
            // With the dashboard on /dev/tty, stdout gets each poem as it
            // completes, byte for byte, as headless would write it.
            print_poems: !std::io::stdout().is_terminal(),
        };
        return run::run(&mut Dashboard::new(options), setup).await;
    }
    // Quiet output shows no progress (and `--events` would record it).
    let config = RunConfig {
        progress_at_end: output.quiet && output.events.is_none(),
        ..config
    };
    let reporter: Box<dyn Reporter> = if output.json {
        Box::new(JsonReporter::new(output.quiet))
    } else {
        Box::new(PlainReporter::new(output.quiet))
    };
    let setup = Setup {
        model: Model::default().with_transforms(&config.transforms),
        sources: input,
        config,
        keep,
        // Headless prints poems through its reporter (to a terminal they
        // are sanitised and headed): the writer only saves.
        print_poems: false,
    };
    run::run(&mut Headless::new(reporter), setup).await
}
