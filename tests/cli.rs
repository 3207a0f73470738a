//! The binary as a user runs it, against our poetry server on loopback.

mod common;

use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use common::*;
use poetry_dash::serve::{Behaviour, Pacing, Server};
use predicates::prelude::*;
use serde_json::Value;

const SCIENCE: &str = include_str!("../assets/poems/science.txt");

fn start(
    rt: &tokio::runtime::Runtime,
    specs: Vec<poetry_dash::serve::PortSpec>,
) -> (Server, Vec<String>) {
    let server = rt.block_on(serve(specs));
    let ports = server
        .ports
        .iter()
        .map(|p| p.address.port().to_string())
        .collect();
    (server, ports)
}

fn poetry_dash() -> Command {
    Command::cargo_bin("poetry-dash").expect("binary built")
}

#[test]
fn plain_output_puts_poems_on_stdout_and_progress_on_stderr() {
    let rt = runtime();
    let (_server, ports) = start(&rt, vec![spec(SCIENCE, paced(100, 10), Behaviour::Poem)]);
    poetry_dash()
        .arg(&ports[0])
        .assert()
        .success()
        .stdout(SCIENCE) // byte for byte: stdout is a pipe here
        .stderr(predicate::str::contains(format!(
            "Task 1: got 100 bytes of poetry from 127.0.0.1:{}",
            ports[0]
        )))
        .stderr(predicate::str::is_match(r"Got 1 poems in 0:00:0\d\.\d\n$").unwrap());
}

#[test]
fn a_big_poem_and_small_ones_reach_stdout_whole_and_each_in_one_piece() {
    // A poem of 256 KiB or more is written from its own buffers rather than
    // through the batch the small ones share: each poem still arrives whole
    // and unmixed with another, whatever order they finish in. (That they
    // go out in the order they ended is a unit test in report/plain.rs:
    // here the order of the ends is the network's.)
    let rt = runtime();
    let big: Vec<u8> = (0..300 * 1024).map(|i| b'a' + (i % 26) as u8).collect();
    let (_server, ports) = start(
        &rt,
        vec![
            spec(SCIENCE, Pacing::fast(), Behaviour::Poem),
            spec(big.clone(), Pacing::fast(), Behaviour::Poem),
            spec(SCIENCE, paced(100, 10), Behaviour::Poem),
        ],
    );
    let output = poetry_dash()
        .args(["-q", &ports[0], &ports[1], &ports[2]])
        .output()
        .expect("ran");
    assert!(output.status.success(), "{output:?}");
    let stdout = output.stdout;
    let small = SCIENCE.as_bytes();
    let orders = [
        [small, &big[..], small].concat(),
        [&big[..], small, small].concat(),
        [small, small, &big[..]].concat(),
    ];
    assert!(
        orders.contains(&stdout),
        "stdout ({} bytes) is not the three poems, each whole",
        stdout.len()
    );
}

#[test]
fn quiet_hides_progress_but_not_failures() {
    let rt = runtime();
    let (_server, ports) = start(
        &rt,
        vec![
            spec(SCIENCE, Pacing::fast(), Behaviour::Poem),
            spec(SCIENCE, Pacing::fast(), Behaviour::Refuse),
        ],
    );
    poetry_dash()
        .args(["-q", &ports[0], &ports[1]])
        .assert()
        .code(1)
        .stdout(SCIENCE)
        .stderr(predicate::str::contains("bytes of poetry").not())
        .stderr(predicate::str::contains(format!(
            "Task 2: poem from 127.0.0.1:{} failed: connection refused (got 0 bytes)",
            ports[1]
        )))
        .stderr(
            predicate::str::contains("Got 1 poems in").and(predicate::str::contains("(1 failed)")),
        );
}

#[test]
fn an_idle_timeout_is_one_line_naming_task_server_and_bytes() {
    let rt = runtime();
    let (_server, ports) = start(
        &rt,
        vec![spec(SCIENCE, paced(20, 10), Behaviour::ResetAfter(40))],
    );
    let (_stall, stall_ports) = start(&rt, vec![spec(SCIENCE, Pacing::fast(), Behaviour::Stall)]);
    poetry_dash()
        .args(["-q", "--idle-timeout", "0.3", &ports[0], &stall_ports[0]])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains(format!(
            "Task 1: poem from 127.0.0.1:{} failed: connection reset, poem truncated (got 40 bytes)",
            ports[0]
        )))
        .stderr(predicate::str::contains(format!(
            "Task 2: poem from 127.0.0.1:{} failed: idle timeout after 0.3 s (got 0 bytes)",
            stall_ports[0]
        )));
}

fn json_lines(output: &[u8]) -> Vec<Value> {
    String::from_utf8(output.to_vec())
        .expect("NDJSON is UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

#[test]
fn json_has_an_object_per_event_and_a_summary() {
    let rt = runtime();
    let (_server, ports) = start(
        &rt,
        vec![
            spec(SCIENCE, paced(200, 10), Behaviour::Poem),
            spec(SCIENCE, paced(50, 10), Behaviour::ResetAfter(100)),
        ],
    );
    let output = poetry_dash()
        .args(["--json", "-j", "1", &ports[0], &ports[1]])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output.stdout);
    let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    for expected in [
        "queued",
        "connecting",
        "connected",
        "progress",
        "finished",
        "failed",
    ] {
        assert!(
            types.contains(&expected),
            "{expected} missing from {types:?}"
        );
    }
    let finished = lines.iter().find(|l| l["type"] == "finished").unwrap();
    assert_eq!(finished["text"], SCIENCE);
    assert_eq!(finished["task"], 1);
    assert_eq!(finished["address"], format!("127.0.0.1:{}", ports[0]));
    assert_eq!(finished["bytes"], SCIENCE.len());
    let failed = lines.iter().find(|l| l["type"] == "failed").unwrap();
    assert_eq!(failed["reason"], "reset");
    assert_eq!(failed["bytes"], 100);
    assert_eq!(failed["partial"], true);
    assert_eq!(failed["text"], &SCIENCE[..100]);
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(
        (summary["complete"].as_u64(), summary["failed"].as_u64()),
        (Some(1), Some(1))
    );
    let times: Vec<f64> = lines.iter().filter_map(|l| l["t"].as_f64()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "t never goes back");
}

#[test]
fn save_writes_poems_and_partials() {
    let rt = runtime();
    let (_server, ports) = start(
        &rt,
        vec![
            spec(SCIENCE, Pacing::fast(), Behaviour::Poem),
            spec(SCIENCE, paced(30, 10), Behaviour::ResetAfter(60)),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    poetry_dash()
        .args(["-q", "--save"])
        .arg(dir.path())
        .args([&ports[0], &ports[0], &ports[1]])
        .assert()
        .code(1);
    let read = |name: String| std::fs::read(dir.path().join(name)).unwrap();
    assert_eq!(
        read(format!("127.0.0.1_{}.txt", ports[0])),
        SCIENCE.as_bytes()
    );
    assert_eq!(
        read(format!("127.0.0.1_{}-2.txt", ports[0])),
        SCIENCE.as_bytes()
    );
    assert_eq!(
        read(format!("127.0.0.1_{}.txt.partial", ports[1])),
        &SCIENCE.as_bytes()[..60]
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        3,
        "nothing else, no temporary files"
    );
}

#[test]
fn a_poem_that_cannot_be_saved_fails_the_run() {
    let rt = runtime();
    let (_server, ports) = start(&rt, vec![spec(SCIENCE, Pacing::fast(), Behaviour::Poem)]);
    let dir = tempfile::tempdir().unwrap();
    // A directory where the poem's file should go: no poem can be saved
    // under that name. (That the save goes through a temporary file and a
    // rename is a_poem_that_cannot_be_written_names_its_own_file_never_the_temporary_one's
    // to show: there an earlier file stays whole.)
    std::fs::create_dir(dir.path().join(format!("127.0.0.1_{}.txt", ports[0]))).unwrap();
    poetry_dash()
        .args(["-q", "--save"])
        .arg(dir.path())
        .arg(&ports[0])
        .assert()
        .code(1)
        .stdout(SCIENCE)
        .stderr(predicate::str::contains("Task 1: cannot save:"))
        // The error names the poem's own file, not a temporary one.
        .stderr(predicate::str::contains(format!(
            "127.0.0.1_{}.txt:",
            ports[0]
        )))
        .stderr(predicate::str::contains(".poetry-dash-").not())
        .stderr(
            predicate::str::contains("Got 1 poems in")
                .and(predicate::str::contains("(1 could not be saved)")),
        );

    // In NDJSON the problem is an event like any other: it says which
    // download, where and when.
    let output = poetry_dash()
        .args(["--json", "-q", "--save"])
        .arg(dir.path())
        .arg(&ports[0])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output.stdout);
    let problem = lines
        .iter()
        .find(|l| l["type"] == "problem")
        .expect("a problem object");
    let keys: Vec<&str> = problem
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["type", "task", "address", "label", "t", "run", "message"]
    );
    assert_eq!(problem["label"], serde_json::Value::Null, "unnamed");
    assert_eq!(problem["task"], 1);
    assert_eq!(problem["address"], format!("127.0.0.1:{}", ports[0]));
    assert_eq!(problem["run"], 1);
    assert!(problem["t"].as_f64().is_some());
}

#[test]
fn saved_poems_get_the_mode_the_umask_gives_any_new_file() {
    use std::os::unix::fs::PermissionsExt;
    let rt = runtime();
    let (_server, ports) = start(&rt, vec![spec(SCIENCE, Pacing::fast(), Behaviour::Poem)]);
    for (umask, mode) in [("022", 0o644), ("077", 0o600), ("002", 0o664)] {
        let dir = tempfile::tempdir().unwrap();
        let binary = assert_cmd::cargo::cargo_bin("poetry-dash");
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "umask {umask} && exec \"$0\" -q --save \"$1\" \"$2\""
            ))
            .arg(&binary)
            .arg(dir.path())
            .arg(&ports[0])
            .stdout(Stdio::null())
            .status()
            .expect("runs");
        assert!(status.success());
        let path = dir.path().join(format!("127.0.0.1_{}.txt", ports[0]));
        let got = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(got, mode, "umask {umask}: mode {got:o}, wanted {mode:o}");
    }
}

#[test]
fn bad_addresses_are_usage_errors_that_start_nothing() {
    poetry_dash()
        .args(["10000", "host:99999"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("error: bad address \"host:99999\" (argument 2): port must be 1-65535\n");
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("servers.txt");
    std::fs::write(&list, "# mine\n10000\n\nhost:99999\n").unwrap();
    poetry_dash()
        .arg(format!("@{}", list.display()))
        .assert()
        .code(2)
        .stderr(format!(
            "error: bad address \"host:99999\" ({} line 4): port must be 1-65535\n",
            list.display()
        ));
    poetry_dash()
        .args(["-i", "-"])
        .write_stdin("10000\n[::1:80\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("(stdin line 2): missing ']'"));
    poetry_dash()
        .args(["-i", "/nonexistent/list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/list"));
    poetry_dash()
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no servers given"));
}

#[test]
fn bad_option_values_name_the_option() {
    for (option, value, named) in [
        ("--max-bytes", "8X", "'--max-bytes <SIZE>'"),
        ("--idle-timeout", "0", "'--idle-timeout <SECS>'"),
        ("--timeout", "soon", "'--timeout <SECS>'"),
        ("-j", "many", "'--concurrency <N>'"),
        ("--retries", "x", "'--retries <N>'"),
    ] {
        let assert = poetry_dash()
            .args([option, value, "10000"])
            .assert()
            .code(2)
            .stdout("");
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert!(
            stderr.starts_with(&format!("error: invalid value '{value}' for {named}")),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    }
}

#[test]
fn addresses_come_from_files_and_stdin_and_repeat() {
    let rt = runtime();
    let (_server, ports) = start(&rt, vec![spec(SCIENCE, Pacing::fast(), Behaviour::Poem)]);
    poetry_dash()
        .args(["-q", "-i", "-", &format!("localhost:{}", ports[0])])
        .write_stdin(format!(
            "# two more\n{0}\n127.0.0.1:{0}  # again\n",
            ports[0]
        ))
        .assert()
        .success()
        .stdout(SCIENCE.repeat(3))
        .stderr(predicate::str::contains("Got 3 poems"));
}

#[test]
fn signals_cancel_print_the_summary_and_exit_with_their_status() {
    for (signal, status) in [("INT", 130), ("TERM", 143), ("HUP", 129)] {
        let rt = runtime();
        let (_server, ports) = start(
            &rt,
            vec![
                spec(SCIENCE, Pacing::fast(), Behaviour::Poem),
                spec(SCIENCE, paced(10, 20), Behaviour::Stall),
            ],
        );
        let dir = tempfile::tempdir().unwrap();
        let saved = dir.path().join(format!("127.0.0.1_{}.txt", ports[0]));
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("poetry-dash"))
            .args([&ports[0], &ports[1], "--save"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        // The first poem saved means the process is well past installing its
        // signal handlers, and that poem is done before the signal.
        let waited = Instant::now();
        while !saved.exists() {
            assert!(waited.elapsed() < PATIENCE, "the first poem never arrived");
            std::thread::sleep(Duration::from_millis(10));
        }
        let killed = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let exit = child.wait().unwrap();
        assert_eq!(exit.code(), Some(status), "SIG{signal}: {stderr}");
        assert!(
            stderr.contains("cancelled (got 0 bytes)"),
            "SIG{signal}: {stderr}"
        );
        assert!(
            stderr.contains("Got 1 poems in") && stderr.contains("interrupted"),
            "SIG{signal}: {stderr}"
        );
        assert_eq!(std::fs::read(&saved).unwrap(), SCIENCE.as_bytes());
    }
}

#[test]
fn serve_speaks_like_the_tutorial_and_lists_its_poems() {
    poetry_dash()
        .args(["serve", "--list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ecstasy").and(predicate::str::contains("John Donne")));
    poetry_dash()
        .args(["serve", "no-such-poem"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-poem"));
    poetry_dash()
        .args(["serve", "science", "--fault", "sometimes"])
        .assert()
        .code(2);
    // Ports past 65535 are a bad argument too, named as such.
    poetry_dash()
        .args(["serve", "ecstasy", "--port", "65535", "--count", "2"])
        .assert()
        .code(2)
        .stderr("error: --port 65535 with 2 ports (one per poem and --count) goes past 65535\n");

    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("poetry-dash"))
        .args([
            "serve",
            "science",
            "fascination",
            "--iface",
            "127.0.0.1",
            "--fast",
            "--count",
            "2",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut ports = Vec::new();
    for expected in [
        "science.txt",
        "science.txt",
        "fascination.txt",
        "fascination.txt",
    ] {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
        let port = line
            .strip_prefix(&format!("Serving {expected} on port "))
            .and_then(|rest| rest.strip_suffix(".\n"))
            .unwrap_or_else(|| panic!("unexpected line {line:?}"));
        ports.push(port.to_string());
    }
    poetry_dash()
        .args(["-q", &ports[1], &ports[2]])
        .assert()
        .success()
        .stdout(
            predicate::str::contains(SCIENCE).and(predicate::str::contains("I'll find the stable")),
        );
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(
        child.wait().unwrap().success(),
        "Ctrl-C stops the server cleanly"
    );
}

/// Starts `poetry-dash serve ARGS` and returns it with the port of its
/// first `Serving ... on port N.` line and the rest of its stdout.
fn spawn_server(args: &[&str]) -> (std::process::Child, String, impl std::io::BufRead) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("poetry-dash"))
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    let port = line
        .rsplit_once(" on port ")
        .and_then(|(_, rest)| rest.strip_suffix(".\n"))
        .unwrap_or_else(|| panic!("unexpected line {line:?}"))
        .to_string();
    (child, port, stdout)
}

#[test]
fn a_server_whose_stdout_is_closed_still_serves_every_client_whole() {
    let (mut child, port, stdout) = spawn_server(&["science", "--fast"]);
    drop(stdout); // like `| head -n 1`: the reader is gone
    for _ in 0..3 {
        poetry_dash()
            .args(["-q", &port])
            .assert()
            .success()
            .stdout(SCIENCE);
    }
    assert_eq!(child.try_wait().unwrap(), None, "the server keeps serving");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn serving_localhost_answers_on_127_0_0_1() {
    // The default --iface is localhost; a bare PORT means 127.0.0.1.
    let (mut child, port, _stdout) = spawn_server(&["science", "--fast", "-q"]);
    poetry_dash()
        .args(["-q", &port, &format!("127.0.0.1:{port}")])
        .assert()
        .success();
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn the_demo_shows_every_state_headless() {
    let output = poetry_dash()
        .args(["demo", "--json"])
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(1),
        "the demo's failures fail the run"
    );
    let lines = json_lines(&output.stdout);
    let finished = lines.iter().filter(|l| l["type"] == "finished").count();
    let empty = lines
        .iter()
        .filter(|l| l["type"] == "finished" && l["empty"] == true)
        .count();
    let mut reasons: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "failed")
        .filter_map(|l| l["reason"].as_str())
        .collect();
    reasons.sort_unstable();
    assert_eq!((finished, empty), (10, 1));
    assert_eq!(reasons, ["idle_timeout", "refused", "reset", "too_large"]);
    // Every state by itself, no key needed: rows wait behind the demo's
    // concurrency limit, and the demo cancels one download itself.
    assert!(lines.iter().any(|l| l["type"] == "queued"), "queued");
    let cancelled: Vec<&Value> = lines.iter().filter(|l| l["type"] == "cancelled").collect();
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0]["task"], 5);
    assert_eq!(cancelled[0]["partial"], true);
    assert!(
        lines.iter().any(|l| l["type"] == "retrying"),
        "the demo shows retries"
    );
    // Every poem goes through the demo's transform server: the short ones
    // come back lower-cased, the longest is refused by its request limit
    // and kept as it was.
    let transformed: Vec<&Value> = lines
        .iter()
        .filter(|l| l["type"] == "transformed")
        .collect();
    assert!(transformed.len() >= 5, "{}", transformed.len());
    assert!(
        transformed
            .iter()
            .all(|l| l["text"].as_str().is_some_and(|t| t == t.to_lowercase())),
        "cummingsified"
    );
    let kept: Vec<&Value> = lines
        .iter()
        .filter(|l| l["type"] == "transform_failed")
        .collect();
    assert!(
        kept.iter()
            .any(|l| l["label"] == "ecstasy" && l["reason"] == "no_reply"),
        "{kept:?}"
    );
    let summary = lines.last().expect("summary");
    assert!(summary["not_transformed"].as_u64().is_some_and(|n| n >= 1));
    assert!(
        summary["elapsed_s"].as_f64().is_some_and(|s| s < 60.0),
        "under a minute: {summary}"
    );
}

#[test]
fn tui_without_any_terminal_is_a_clear_usage_error() {
    // setsid: a new session with no controlling terminal, so /dev/tty
    // cannot be opened, and stdout is a pipe.
    let output = std::process::Command::new("setsid")
        .arg("-w")
        .arg(assert_cmd::cargo::cargo_bin("poetry-dash"))
        .args(["--tui", "10000"])
        .stdin(Stdio::null())
        .output()
        .expect("setsid runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the dashboard needs a terminal"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn negative_values_are_named_with_what_the_option_accepts() {
    let cases: [(&[&str], &str); 9] = [
        (&["-j", "-1", "10000"], "--concurrency"),
        (&["--retries", "-1", "10000"], "--retries"),
        (&["--idle-timeout", "-1", "10000"], "--idle-timeout"),
        (&["--connect-timeout", "-1", "10000"], "--connect-timeout"),
        (&["-t", "-1", "10000"], "--timeout"),
        (&["--fps", "-1", "10000"], "--fps"),
        (&["serve", "science", "--delay", "-1"], "--delay"),
        (&["serve", "science", "--num-bytes", "-1"], "--num-bytes"),
        (&["serve", "science", "--port", "-1"], "--port"),
    ];
    for (args, option) in cases {
        let output = poetry_dash().args(args).output().expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(option) && stderr.contains("'-1'"),
            "{args:?} names the option and the value: {stderr}"
        );
        assert!(!stderr.contains("unexpected argument"), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    }
}

#[test]
fn an_endless_or_binary_address_list_ends_in_one_line_and_status_2() {
    let started = Instant::now();
    let output = poetry_dash()
        .args(["-i", "/dev/zero"])
        .timeout(Duration::from_secs(20))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("/dev/zero") && stderr.contains("longer than"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    // A bad megabyte on one line of a file, and 100 KB in an argument (the
    // most one argument may hold): named by a short prefix, not echoed.
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("servers.txt");
    std::fs::write(&list, format!("10000\n{}:99999\n", "h".repeat(1 << 20))).unwrap();
    let output = poetry_dash().arg("-i").arg(&list).output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        output.stderr.len() < 300,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let huge = format!("{}:99999", "h".repeat(100_000));
    let output = poetry_dash().arg(&huge).output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        output.stderr.len() < 200,
        "the bad text is not echoed whole"
    );
}

/// Runs `poetry-dash ARGS | head -c 10` and returns the status and stderr of
/// poetry-dash.
fn into_a_closed_pipe(args: &[&str]) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("poetry-dash"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 10];
    stdout.read_exact(&mut first).expect("ten bytes");
    drop(stdout); // the reader is gone
    let output = child.wait_with_output().expect("ends");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_stops_the_run_without_claiming_success() {
    let rt = runtime();
    let (_server, ports) = start(
        &rt,
        vec![
            spec(SCIENCE, Pacing::fast(), Behaviour::Poem),
            spec(SCIENCE, paced(10, 50), Behaviour::Poem),
        ],
    );
    for format in ["--plain", "--json"] {
        let started = Instant::now();
        let (status, stderr) = into_a_closed_pipe(&[format, "-q", &ports[0], &ports[1], &ports[1]]);
        assert_ne!(status, Some(0), "{format}: {stderr}");
        assert!(
            !stderr.contains("Got "),
            "{format}: nothing claims success: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            stderr.contains("cannot write to stdout"),
            "{format}: {stderr}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{format}: stopped promptly, not after the slow poems"
        );
    }
    for args in [&["man"][..], &["completions", "bash"][..]] {
        let (status, stderr) = into_a_closed_pipe(args);
        assert_eq!(status, Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?} exits quietly: {stderr}");
    }
}

#[test]
fn names_follow_a_download_into_every_output() {
    let rt = runtime();
    let (_server, ports) = start(&rt, vec![spec(SCIENCE, paced(200, 5), Behaviour::Poem)]);
    let named = format!("science=127.0.0.1:{}", ports[0]);
    // Plain: the tutorial's words with the name beside the task.
    poetry_dash()
        .arg(&named)
        .arg(&ports[0])
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "Task 1 (science): got 200 bytes of poetry from 127.0.0.1:{}",
            ports[0]
        )))
        // Unnamed downloads keep the tutorial's exact words.
        .stderr(predicate::str::contains(format!(
            "Task 2: got 200 bytes of poetry from 127.0.0.1:{}",
            ports[0]
        )));
    // NDJSON: `label`, null when unnamed.
    let output = poetry_dash()
        .args(["--json", "-q"])
        .arg(&named)
        .arg(&ports[0])
        .output()
        .expect("runs");
    let lines = json_lines(&output.stdout);
    let finished: Vec<&Value> = lines.iter().filter(|l| l["type"] == "finished").collect();
    let label_of = |task: u64| {
        finished
            .iter()
            .find(|l| l["task"] == task)
            .map(|l| l["label"].clone())
    };
    assert_eq!(label_of(1), Some(Value::from("science")));
    assert_eq!(label_of(2), Some(Value::Null));
    // --save: the name is the file's.
    let dir = tempfile::tempdir().unwrap();
    poetry_dash()
        .args(["-q", "--save"])
        .arg(dir.path())
        .arg(&named)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("science.txt")).unwrap(),
        SCIENCE
    );
    // A bad name is a usage error naming the text and where it was.
    poetry_dash()
        .args([&ports[0], "no good!=10000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            r#"bad address "no good!=10000" (argument 2): a name"#,
        ));
}

#[test]
fn events_records_what_json_prints_and_save_failed_lists_what_to_retry() {
    let rt = runtime();
    let (_server, ports) = start(
        &rt,
        vec![
            spec(SCIENCE, Pacing::fast(), Behaviour::Poem),
            spec(SCIENCE, Pacing::fast(), Behaviour::Refuse),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.ndjson");
    let failed = dir.path().join("failed.txt");
    let good = format!("good=127.0.0.1:{}", ports[0]);
    let refused = format!("shut=127.0.0.1:{}", ports[1]);
    poetry_dash()
        .args(["-q", "--events"])
        .arg(&events)
        .arg("--save-failed")
        .arg(&failed)
        .args([&good, &refused])
        .assert()
        .code(1);
    let recorded = json_lines(&std::fs::read(&events).unwrap());
    let output = poetry_dash()
        .args(["--json", &good, &refused])
        .output()
        .expect("runs");
    let printed = json_lines(&output.stdout);
    let kinds = |lines: &[Value]| {
        let mut kinds: Vec<String> = lines
            .iter()
            .map(|l| format!("{} {}", l["type"], l["task"]))
            .collect();
        kinds.sort();
        kinds
    };
    assert_eq!(kinds(&recorded), kinds(&printed), "the same objects");
    assert_eq!(
        recorded.last().unwrap()["type"],
        "summary",
        "flushed to the end"
    );
    // The failed list holds the refused one, name and all; it retries it.
    let list = std::fs::read_to_string(&failed).unwrap();
    let entries: Vec<&str> = list.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(entries, [refused.as_str()]);
    poetry_dash()
        .args(["-q", "-i"])
        .arg(&failed)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("Task 1 (shut)"))
        .stderr(predicate::str::contains("Got 0 poems"));
}

#[test]
fn streamed_addresses_start_as_they_arrive_and_a_bad_line_is_skipped_with_status_2() {
    let rt = runtime();
    let (_server, ports) = start(&rt, vec![spec(SCIENCE, Pacing::fast(), Behaviour::Poem)]);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("poetry-dash"))
        .args(["--json", "-q", "-i", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    use std::io::{BufRead, Write};
    writeln!(stdin, "first={}", ports[0]).unwrap();
    stdin.flush().unwrap();
    // The first poem arrives while the input is still open: the download
    // started as its line came.
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "output ended early"
        );
        if line.contains("\"finished\"") {
            break;
        }
    }
    assert!(line.contains("\"label\":\"first\""), "{line}");
    writeln!(stdin, "nope:0\n{}", ports[0]).unwrap();
    drop(stdin);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let output = child.wait_with_output().expect("ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "a bad line: status 2");
    let lines = json_lines(rest.as_bytes());
    let problem = lines
        .iter()
        .find(|l| l["type"] == "problem")
        .expect("named");
    assert!(
        problem["message"]
            .as_str()
            .is_some_and(|m| m.contains("stdin line 2")),
        "{problem}"
    );
    let summary = lines.last().unwrap();
    assert_eq!(summary["complete"], 2, "the good lines ran: {summary}");
    assert!(stderr.contains("skipped"), "{stderr}");
}

#[test]
fn a_record_path_that_cannot_be_written_is_refused_before_anything_runs_and_an_empty_list_is_no_error()
 {
    for option in ["--events", "--save-failed"] {
        poetry_dash()
            .args([option, "/nonexistent/dir/file.txt", "10000"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("cannot create {option}")));
    }
    // A --save-failed file of a run where nothing failed holds only its
    // comment: given back with -i, it runs nothing, successfully.
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("failed.txt");
    std::fs::write(&list, "# nothing failed\n").unwrap();
    poetry_dash()
        .arg("-i")
        .arg(&list)
        .assert()
        .success()
        .stderr(predicate::str::contains("Got 0 poems"));
}

#[test]
fn a_streamed_line_that_is_not_text_or_too_long_is_skipped_and_the_rest_is_read() {
    let rt = runtime();
    let (_server, ports) = start(
        &rt,
        vec![
            spec(SCIENCE, Pacing::fast(), Behaviour::Poem),
            spec(SHORT_POEM, Pacing::fast(), Behaviour::Poem),
        ],
    );
    // Through a pipe, so it is read as a stream, line by line.
    let mut input = format!("{}\n", ports[0]).into_bytes();
    input.extend_from_slice(b"\xff\xfe\n");
    input.extend_from_slice(&[b'x'; 10_000]);
    input.extend_from_slice(format!("\n{}\n", ports[1]).as_bytes());
    let output = poetry_dash()
        .args(["--plain", "-i", "-"])
        .write_stdin(input)
        .timeout(Duration::from_secs(20))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(2),
        "bad lines: status 2\n{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(SCIENCE) && stdout.contains(SHORT_POEM),
        "the lines after the bad ones were read and fetched:\n{stderr}"
    );
    assert!(
        stderr.contains("stdin line 2") && stderr.contains("not text"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stdin line 3") && stderr.contains("longer than"),
        "{stderr}"
    );
    assert!(stderr.contains("Got 2 poems"), "{stderr}");
}

#[test]
fn a_poem_that_cannot_be_written_names_its_own_file_never_the_temporary_one() {
    let rt = runtime();
    let (_server, ports) = start(&rt, vec![spec(SCIENCE, Pacing::fast(), Behaviour::Poem)]);
    let dir = tempfile::Builder::new().prefix("full").tempdir().unwrap();
    // A poem saved by an earlier run: a failed write must leave it whole.
    let earlier = dir.path().join(format!("127.0.0.1_{}.txt", ports[0]));
    std::fs::write(&earlier, "an earlier run's poem\n").unwrap();
    // No file may grow past 0 blocks (and the signal that would say so is
    // ignored): the poem's write fails as a full disk's does, after the
    // temporary file was made.
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f 0; exec {} --plain --save {} {}",
            assert_cmd::cargo::cargo_bin("poetry-dash").display(),
            dir.path().display(),
            ports[0]
        ))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let final_name = dir.path().join("127.0.0.1_").display().to_string();
    assert!(
        stderr.contains("cannot save: ") && stderr.contains(&final_name),
        "{stderr}"
    );
    assert!(stderr.contains("os error 27"), "{stderr}");
    assert!(
        !stderr.contains(".poetry-dash-") && !stderr.contains("at path"),
        "the temporary file is gone; naming it helps nobody:\n{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&earlier).unwrap(),
        "an earlier run's poem\n",
        "the file under the final name is as it was: the write went to a temporary file"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.file_name())
        .collect();
    assert_eq!(left.len(), 1, "nothing half-written is left: {left:?}");
}

#[test]
fn serve_paces_its_writes_as_num_bytes_and_delay_say() {
    let (mut child, port, _stdout) =
        spawn_server(&["ecstasy", "--num-bytes", "30", "--delay", "0.05"]);
    let started = Instant::now();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap()))
        .expect("connects");
    let mut sizes = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let n = stream.read(&mut buffer).expect("reads");
        if n == 0 {
            break;
        }
        sizes.push(n);
    }
    let took = started.elapsed();
    let total: usize = sizes.iter().sum();
    assert_eq!(total, ECSTASY.len());
    // Writes of 30 bytes: a late read may join several, and the last write
    // holds the rest, but no read holds part of a write but that last one.
    let tail = total % 30;
    assert!(
        sizes.iter().all(|&n| n % 30 == 0 || n % 30 == tail),
        "{sizes:?}"
    );
    let single = sizes.iter().filter(|&&n| n == 30).count();
    assert!(
        single * 2 > sizes.len(),
        "most reads are one write: {sizes:?}"
    );
    // And 50 ms between them.
    let writes = total.div_ceil(30) as u32;
    assert!(
        took >= Duration::from_millis(50) * (writes - 1) * 9 / 10,
        "{writes} writes in {took:?}"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn save_failed_lists_the_cancelled_too() {
    let rt = runtime();
    let (_server, ports) = start(
        &rt,
        vec![
            spec(SCIENCE, Pacing::fast(), Behaviour::Poem),
            spec(SCIENCE, Pacing::fast(), Behaviour::Stall),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("retry.txt");
    let saved = dir.path().join("saved");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("poetry-dash"))
        .args([
            format!("done={}", ports[0]),
            format!("stalled={}", ports[1]),
        ])
        .arg("--save-failed")
        .arg(&list)
        .arg("--save")
        .arg(&saved)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let first = saved.join("done.txt");
    let waited = Instant::now();
    while !first.exists() {
        assert!(waited.elapsed() < PATIENCE, "the first poem never arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let listed = std::fs::read_to_string(&list).unwrap();
    assert_eq!(
        listed
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>(),
        [format!("stalled=127.0.0.1:{}", ports[1])],
        "the cancelled download is listed to retry: {listed}"
    );
}

#[test]
fn the_summary_counts_the_bytes_kept_and_every_byte_received_apart() {
    let rt = runtime();
    let (_server, ports) = start(
        &rt,
        vec![spec(SCIENCE, paced(50, 10), Behaviour::ResetAfter(100))],
    );
    // Three attempts of 100 bytes each; the last one's bytes are kept.
    let output = poetry_dash()
        .args(["--json", "-q", "--retries", "2", &ports[0]])
        .timeout(Duration::from_secs(20))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output.stdout);
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["bytes"], 100, "kept: the last attempt's: {summary}");
    assert_eq!(summary["bytes_received"], 300, "every attempt's: {summary}");
    assert_eq!(summary["interrupted"], false, "{summary}");
}

/// Every documented field of every NDJSON type a headless run writes, read
/// and checked for its type and value: a field dropped or renamed fails here.
#[test]
fn every_documented_ndjson_field_is_written() {
    let rt = runtime();
    let mut lossy = b"not UTF-8: ".to_vec();
    lossy.extend_from_slice(&[0xff, 0xfe, b'\n']);
    let (_server, ports) = start(
        &rt,
        vec![
            spec(SCIENCE, paced(100, 20), Behaviour::Poem),
            spec(SCIENCE, paced(50, 10), Behaviour::ResetAfter(100)),
            spec(lossy.clone(), Pacing::fast(), Behaviour::Poem),
            spec(SCIENCE, Pacing::fast(), Behaviour::Stall),
            spec(SCIENCE, Pacing::fast(), Behaviour::Poem),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.ndjson");
    // -j 4: the fifth waits in line (queued) until a slot frees.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("poetry-dash"))
        .args(["--json", "-j", "4", "--retries", "1", "--events"])
        .arg(&events)
        .args([
            format!("poem={}", ports[0]),
            ports[1].clone(),
            ports[2].clone(),
            ports[3].clone(),
            ports[4].clone(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    // Once three poems are in and the reset one has failed after its
    // retry, interrupt: the stalled one is cancelled.
    let mut lines = Vec::new();
    let (mut finished, mut failed) = (0, 0);
    while finished < 3 || failed < 1 {
        let mut line = String::new();
        assert!(std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0);
        let value: Value = serde_json::from_str(&line).expect("each line is JSON");
        finished += usize::from(value["type"] == "finished");
        failed += usize::from(value["type"] == "failed");
        lines.push(value);
    }
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    lines.extend(json_lines(rest.as_bytes()));
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let of = |kind: &str| -> Vec<&Value> { lines.iter().filter(|l| l["type"] == kind).collect() };
    let number = |v: &Value, field: &str| {
        v[field]
            .as_f64()
            .unwrap_or_else(|| panic!("{field} is a number: {v}"))
    };
    for line in lines.iter().filter(|l| l["type"] != "summary") {
        assert!(
            line["task"].as_u64().is_some_and(|t| (1..=5).contains(&t)),
            "{line}"
        );
        assert!(
            line["address"]
                .as_str()
                .is_some_and(|a| a.starts_with("127.0.0.1:")),
            "{line}"
        );
        assert!(line["label"].is_null() || line["label"] == "poem", "{line}");
        assert!(number(line, "t") >= 0.0);
        assert_eq!(line["run"], 1, "{line}");
    }
    assert!(of("queued").iter().any(|l| l["task"] == 5));
    let connecting = of("connecting");
    assert!(
        connecting
            .iter()
            .all(|l| l["attempts"] == 2 && l["attempt"].as_u64().is_some())
    );
    assert!(
        of("connected")
            .iter()
            .all(|l| number(l, "connect_s") >= 0.0)
    );
    let progress = of("progress");
    assert!(!progress.is_empty());
    for l in &progress {
        assert!(
            number(l, "chunk") > 0.0 && number(l, "bytes") >= number(l, "chunk"),
            "{l}"
        );
    }
    let finished = of("finished");
    let poem = finished
        .iter()
        .find(|l| l["label"] == "poem")
        .expect("the poem");
    assert_eq!(
        (poem["bytes"].as_u64(), poem["empty"].as_bool()),
        (Some(SCIENCE.len() as u64), Some(false))
    );
    assert!(number(poem, "connect_s") <= number(poem, "first_byte_s"));
    assert!(number(poem, "first_byte_s") <= number(poem, "total_s"));
    assert_eq!(
        (poem["text"].as_str(), poem["text_lossy"].as_bool()),
        (Some(SCIENCE), Some(false))
    );
    let binary = finished
        .iter()
        .find(|l| l["task"] == 3)
        .expect("the binary one");
    assert_eq!(binary["text_lossy"], true, "{binary}");
    assert!(
        binary["text"]
            .as_str()
            .is_some_and(|t| t.contains('\u{fffd}'))
    );
    let retrying = of("retrying");
    let retry = retrying.first().expect("the reset one retried");
    assert_eq!(
        (retry["attempt"].as_u64(), retry["attempts"].as_u64()),
        (Some(2), Some(2))
    );
    assert!(number(retry, "after_s") > 0.0);
    assert_eq!(retry["reason"], "reset");
    assert!(
        retry["message"]
            .as_str()
            .is_some_and(|m| m.contains("reset"))
    );
    assert_eq!(retry["bytes"], 100);
    let failed = of("failed");
    let reset = failed.first().expect("failed for good");
    assert_eq!(
        (reset["reason"].as_str(), reset["bytes"].as_u64()),
        (Some("reset"), Some(100))
    );
    assert_eq!(
        (reset["partial"].as_bool(), reset["text_lossy"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(reset["text"], &SCIENCE[..100]);
    assert!(
        reset["message"]
            .as_str()
            .is_some_and(|m| m.contains(&ports[1]))
    );
    let cancelled = of("cancelled");
    assert_eq!(cancelled.len(), 1, "the stalled one");
    for l in &cancelled {
        assert_eq!(
            (l["bytes"].as_u64(), l["partial"].as_bool()),
            (Some(0), Some(false)),
            "{l}"
        );
        assert_eq!(
            (l["text"].as_str(), l["text_lossy"].as_bool()),
            (Some(""), Some(false)),
            "{l}"
        );
    }
    let summary = lines.last().expect("a summary");
    assert_eq!(summary["type"], "summary");
    let keys: Vec<&str> = summary
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "type",
            "downloads",
            "complete",
            "failed",
            "cancelled",
            "not_transformed",
            "unsaved",
            "bytes",
            "bytes_received",
            "elapsed_s",
            "interrupted"
        ]
    );
    assert_eq!(
        (summary["downloads"].as_u64(), summary["complete"].as_u64()),
        (Some(5), Some(3))
    );
    assert_eq!(
        (
            summary["failed"].as_u64(),
            summary["cancelled"].as_u64(),
            summary["unsaved"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
    let kept = 2 * SCIENCE.len() + 100 + lossy.len();
    assert_eq!(summary["bytes"], kept);
    assert_eq!(summary["bytes_received"], kept + 100);
    assert!(number(summary, "elapsed_s") > 0.0);
    assert_eq!(summary["interrupted"], true);
    // --events holds the same record.
    let recorded = json_lines(&std::fs::read(&events).unwrap());
    assert_eq!(recorded.len(), lines.len());
}

#[test]
fn plain_output_words_an_empty_poem_and_a_retry_as_the_log_does() {
    let rt = runtime();
    let (_server, ports) = start(
        &rt,
        vec![
            spec("", Pacing::fast(), Behaviour::Poem),
            spec(SCIENCE, Pacing::fast(), Behaviour::Refuse),
        ],
    );
    poetry_dash()
        .args(["-q", "--retries", "1", &ports[0], &ports[1]])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "Task 1: poem from 127.0.0.1:{} is empty\n",
            ports[0]
        )))
        .stderr(predicate::str::contains(format!(
            "Task 2: poem from 127.0.0.1:{} failed: connection refused (got 0 bytes); retrying in ",
            ports[1]
        )))
        .stderr(predicate::str::contains(" (attempt 2 of 2)\n"));
}

/// The tutorial's Parts 12 to 19 with poetry-dash alone: a poetry server,
/// a transform server, a proxy in front of the poetry server, and the
/// client through the proxy and the transform.
#[test]
fn the_tutorials_chain_runs_with_poetry_dash_alone() {
    let (mut poems, poem_port, _p) = spawn_server(&["science", "--fast", "--iface", "127.0.0.1"]);
    let (mut transforms, transform_port, _t) =
        spawn_server(&["--transform", "--iface", "127.0.0.1", "-q"]);
    let proxy_args = ["--proxy", &poem_port, "--iface", "127.0.0.1", "-q"];
    let (mut proxy, proxy_port, _x) = spawn_server(&proxy_args);
    let saved = tempfile::tempdir().unwrap();
    poetry_dash()
        .args(["--plain", "-q", "--transform", &transform_port, &proxy_port])
        .arg("--save")
        .arg(saved.path())
        .assert()
        .success()
        .stdout(SCIENCE.to_lowercase());
    // The poem saved is the final one too.
    let file = saved.path().join(format!("127.0.0.1_{proxy_port}.txt"));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        SCIENCE.to_lowercase()
    );
    // A second transform that fails: its poem goes on as it was, one line
    // says so, naming the download, the transform server and the reason,
    // and the run fails because not all that was asked was done.
    let rt = runtime();
    let (_refusing, refusing) = start(&rt, vec![spec(SCIENCE, Pacing::fast(), Behaviour::Refuse)]);
    let gone = &refusing[0];
    poetry_dash()
        .args([
            "--plain",
            "-q",
            "--transform",
            &format!("shout@{transform_port}"),
            "--transform",
            &format!("reverse@{gone}"),
            &proxy_port,
        ])
        .assert()
        .code(1)
        .stdout(SCIENCE.to_uppercase())
        .stderr(predicate::str::contains(format!(
            "Task 1: poem from 127.0.0.1:{proxy_port} not transformed by reverse at 127.0.0.1:{gone} (connection refused): kept as it was\n"
        )))
        .stderr(predicate::str::contains("(1 not transformed)"));
    // NDJSON: the phases of each step, then the final poem.
    let output = poetry_dash()
        .args(["--json", "--transform", &transform_port, &proxy_port])
        .output()
        .unwrap();
    let lines: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let types: Vec<&str> = lines.iter().filter_map(|l| l["type"].as_str()).collect();
    let phases: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "transforming")
        .filter_map(|l| l["phase"].as_str())
        .collect();
    assert_eq!(phases.first(), Some(&"connecting"), "{types:?}");
    assert!(phases.contains(&"waiting"), "{phases:?}");
    let transformed = lines
        .iter()
        .find(|l| l["type"] == "transformed")
        .expect("a transformed event");
    assert_eq!(transformed["transform"], "cummingsify");
    assert_eq!(transformed["server"], format!("127.0.0.1:{transform_port}"));
    let finished = lines.iter().find(|l| l["type"] == "finished").unwrap();
    assert_eq!(finished["text"], SCIENCE.to_lowercase());
    for child in [&mut poems, &mut transforms, &mut proxy] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

#[test]
fn a_bad_transform_argument_is_named() {
    poetry_dash()
        .args(["--transform", "no.dots@11000", "10000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "\"no.dots\" is not a transform name",
        ));
    poetry_dash()
        .args(["--transform", "cummingsify@99999", "10000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--transform"));
    poetry_dash()
        .args(["serve", "--transform", "--fault", "endless"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "not a fault mode of a transform server",
        ));
}
