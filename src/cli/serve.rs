//! `poetry-dash serve`: the tutorial's slow server, many poems, faults.

use super::ServeArgs;
use super::args::parse_fault;
use super::usage_error;
use crate::engine;
use crate::run::exit;
use crate::serve::transform::{TransformConfig, TransformFault, TransformServer};
use crate::serve::{self, Behaviour, Pacing, PoemSource, PortSpec};

pub async fn run(args: ServeArgs) -> i32 {
    if args.list {
        for poem in serve::poems::BUNDLED {
            serve::say(format_args!(
                "{:<12} {} — {}",
                poem.name, poem.title, poem.author
            ));
        }
        return exit::ALL_COMPLETE;
    }
    let fault = args.fault.as_deref();
    if args.transform {
        return serve_transforms(&args, fault).await;
    }
    if !args.proxy.is_empty() {
        if let Some(fault) = fault {
            return usage_error(format_args!("--fault {fault}: a proxy has no fault modes"));
        }
        return super::proxy::run(&args).await;
    }
    let behaviour = match fault.map(parse_fault).transpose() {
        Ok(behaviour) => behaviour.unwrap_or_default(),
        Err(message) => return usage_error(format_args!("--fault: {message}")),
    };
    let mut poems = Vec::new();
    for name in &args.poems {
        match PoemSource::load(name) {
            Ok(poem) => poems.push(poem),
            Err(message) => return usage_error(message),
        }
    }
    let pacing = if args.fast {
        Pacing::fast()
    } else {
        Pacing {
            num_bytes: usize::try_from(args.num_bytes).unwrap_or(usize::MAX),
            delay: args.delay,
        }
    };
    let specs: Vec<PortSpec> = poems
        .iter()
        .flat_map(|poem| {
            (0..args.count).map(move |_| PortSpec {
                poem: poem.clone(),
                pacing,
                behaviour,
            })
        })
        .collect();
    // One port per poem and copy, from --port on: a range past the last
    // port is a bad argument, said before anything listens.
    if args.port != 0 && usize::from(args.port) + specs.len() > usize::from(u16::MAX) + 1 {
        return usage_error(format_args!(
            "--port {} with {} ports (one per poem and --count) goes past 65535",
            args.port,
            specs.len(),
        ));
    }
    if let Some(limit) = engine::raise_fd_limit()
        && specs.len() as u64 * 2 > limit
    {
        eprintln!(
            "note: {} ports and their clients may need more file descriptors than the limit of {limit} (ulimit -n)",
            specs.len()
        );
    }
    let mut server = match serve::Server::start(&args.iface, args.port, specs, !args.quiet).await {
        Ok(server) => server,
        Err(err) => {
            eprintln!("error: {err}");
            return exit::SOME_FAILED;
        }
    };
    for port in &server.ports {
        match port.behaviour {
            Behaviour::Poem => serve::say(format_args!(
                "Serving {} on port {}.",
                port.poem_name,
                port.address.port()
            )),
            other => serve::say(format_args!(
                "Serving {} on port {} ({other}).",
                port.poem_name,
                port.address.port()
            )),
        }
    }
    super::until_stopped().await;
    server.stop();
    server.stopped().await;
    let counters = &server.counters;
    eprintln!(
        "Stopped: {} clients, {} bytes sent.",
        counters.accepted.load(std::sync::atomic::Ordering::Relaxed),
        counters
            .bytes_sent
            .load(std::sync::atomic::Ordering::Relaxed)
    );
    exit::ALL_COMPLETE
}

/// `serve --transform`: the tutorial's Part 12 transform service.
async fn serve_transforms(args: &ServeArgs, fault: Option<&str>) -> i32 {
    let fault = match fault.map(TransformFault::parse).transpose() {
        Ok(fault) => fault.unwrap_or_default(),
        Err(message) => return usage_error(format_args!("--fault: {message}")),
    };
    let config = TransformConfig {
        fault,
        pacing: Pacing {
            num_bytes: usize::try_from(args.num_bytes).unwrap_or(usize::MAX),
            delay: args.delay,
        },
        max_request: args.max_request.0,
        request_timeout: args.request_timeout.0,
    };
    let mut server = match TransformServer::start(&args.iface, args.port, config, !args.quiet).await
    {
        Ok(server) => server,
        Err(err) => {
            eprintln!("error: {err}");
            return exit::SOME_FAILED;
        }
    };
    match fault {
        TransformFault::None => serve::say(format_args!(
            "Serving transforms on port {}.",
            server.address.port()
        )),
        fault => serve::say(format_args!(
            "Serving transforms on port {} ({fault}).",
            server.address.port()
        )),
    }
    super::until_stopped().await;
    server.stop().await;
    eprintln!(
        "Stopped: {} clients, {} bytes sent.",
        server
            .counters
            .accepted
            .load(std::sync::atomic::Ordering::Relaxed),
        server
            .counters
            .bytes_sent
            .load(std::sync::atomic::Ordering::Relaxed)
    );
    exit::ALL_COMPLETE
}
