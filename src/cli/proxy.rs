//! `poetry-dash serve --proxy UPSTREAM`: the tutorial's caching proxy.

use super::ServeArgs;
use super::usage_error;
use crate::address;
use crate::engine::Limits;
use crate::run::exit;
use crate::serve::{self, proxy::ProxyServer};

pub async fn run(args: &ServeArgs) -> i32 {
    let mut upstreams = Vec::with_capacity(args.proxy.len());
    for text in &args.proxy {
        match address::parse(text) {
            Ok(address) => upstreams.push(address),
            Err(why) => return usage_error(format_args!("--proxy {text:?}: {why}")),
        }
    }
    // The upstream fetch obeys the download limits' defaults: a stalled
    // upstream is given up on, and a huge poem is not cached.
    let limits = Limits::default();
    let mut server =
        match ProxyServer::start(&args.iface, args.port, upstreams, limits, !args.quiet).await {
            Ok(server) => server,
            Err(err) => {
                eprintln!("error: {err}");
                return exit::SOME_FAILED;
            }
        };
    for (local, upstream) in &server.ports {
        serve::say(format_args!(
            "Proxying {upstream} on port {}.",
            local.port()
        ));
    }
    super::until_stopped().await;
    server.stop().await;
    exit::ALL_COMPLETE
}
