//! `poetry-dash demo`: the bundled servers, watched like any fetch.

use super::DemoArgs;
use super::fetch::show;
use crate::engine;
use crate::run::exit;
use crate::serve::demo;

pub async fn run(args: DemoArgs) -> i32 {
    engine::raise_fd_limit();
    let demo = match demo::start().await {
        Ok(demo) => demo,
        Err(err) => {
            eprintln!("error: cannot start the demo's servers: {err}");
            return exit::SOME_FAILED;
        }
    };
    let input = crate::run::Sources {
        addresses: demo.addresses,
        stream: None,
    };
    let status = show(input, demo.config, &args.output).await;
    // The demo's servers stop with the dashboard.
    drop(demo.server);
    drop(demo.transforms);
    status
}
