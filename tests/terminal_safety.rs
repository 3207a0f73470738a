//! A hostile server's bytes never reach the terminal: the binary runs in a
//! real pseudo-terminal (util-linux `script`) and we inspect the raw bytes it
//! writes there.

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use common::*;
use poetry_dash::serve::{Behaviour, Pacing};

const HOSTILE: &[u8] = include_bytes!("../assets/poems/hostile.txt");

/// Byte strings a terminal would act on, all of which the hostile poem sends.
const PAYLOADS: &[&[u8]] = &[
    b"\x1b]0;pwned",       // OSC: window title
    b"\x1b]52;",           // OSC 52: clipboard
    b"\x1b]8;;",           // OSC 8: hyperlink
    b"\x1b[6n",            // device status report: the terminal answers
    b"\x1bP",              // DCS
    "\u{9b}".as_bytes(),   // C1 CSI
    "\u{202e}".as_bytes(), // right-to-left override
    "\u{2066}".as_bytes(), // left-to-right isolate
    b"\x00",               // NUL
    b"\x08",               // backspace
];

fn assert_no_payload(raw: &[u8]) {
    for payload in PAYLOADS {
        assert!(
            !raw.windows(payload.len()).any(|w| w == *payload),
            "{payload:?} reached the terminal:\n{}",
            String::from_utf8_lossy(raw)
        );
    }
}

fn contains(raw: &[u8], text: &str) -> bool {
    raw.windows(text.len()).any(|w| w == text.as_bytes())
}

/// Kills the pseudo-terminal (and so, by SIGHUP, the program in it) if a
/// test fails half-way, so nothing is left running.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `command` in a pseudo-terminal of `rows` x `cols`, collecting all it
/// writes; `interact` may wait for output and type keys.
fn in_a_pty(
    command: &str,
    rows: u16,
    cols: u16,
    interact: impl FnOnce(&dyn Fn(&str) -> Vec<u8>, &mut dyn Write),
) -> Vec<u8> {
    let shell = format!("stty rows {rows} cols {cols}; exec {command}");
    let mut child = KillOnDrop(
        Command::new("script")
            .args(["-q", "-e", "-c", &shell, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("util-linux `script` runs"),
    );
    let mut stdout = child.0.stdout.take().unwrap();
    let (sender, receiver) = mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buffer) {
            if n == 0 || sender.send(buffer[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let collected = std::cell::RefCell::new(Vec::new());
    let wait_for = |text: &str| -> Vec<u8> {
        let started = Instant::now();
        loop {
            while let Ok(bytes) = receiver.try_recv() {
                collected.borrow_mut().extend(bytes);
            }
            if contains(&collected.borrow(), text) {
                return collected.borrow().clone();
            }
            assert!(
                started.elapsed() < PATIENCE,
                "no {text:?} in:\n{}",
                String::from_utf8_lossy(&collected.borrow())
            );
            if let Ok(bytes) = receiver.recv_timeout(std::time::Duration::from_millis(50)) {
                collected.borrow_mut().extend(bytes);
            }
        }
    };
    let mut stdin = child.0.stdin.take().unwrap();
    interact(&wait_for, &mut stdin);
    let status = child.0.wait().expect("exits");
    drop(stdin);
    reader.join().unwrap();
    while let Ok(bytes) = receiver.try_recv() {
        collected.borrow_mut().extend(bytes);
    }
    assert!(status.code().is_some(), "script ended by a signal");
    collected.into_inner()
}

#[test]
fn plain_output_to_a_terminal_shows_escapes_without_obeying_them() {
    let runtime = runtime();
    let server = runtime.block_on(serve(vec![spec(HOSTILE, Pacing::fast(), Behaviour::Poem)]));
    let binary = env!("CARGO_BIN_EXE_poetry-dash");
    let raw = in_a_pty(
        &format!("{binary} --plain {}", address_of(&server, 0)),
        24,
        80,
        |wait, _| {
            wait("Got 1 poems");
        },
    );
    assert_no_payload(&raw);
    // Plain output writes no escape sequence of its own, so none at all.
    assert!(
        !raw.contains(&0x1b),
        "an ESC byte reached the terminal:\n{}",
        String::from_utf8_lossy(&raw)
    );
    assert!(contains(&raw, "It tries to clear your screen:^[[2J^[[H"));
    assert!(contains(&raw, "desrever") && contains(&raw, "<U+202E>"));
    assert!(contains(&raw, "control characters from the server shown"));
}

#[test]
fn the_dashboard_shows_escapes_without_obeying_them() {
    let runtime = runtime();
    let server = runtime.block_on(serve(vec![spec(HOSTILE, paced(64, 20), Behaviour::Poem)]));
    let binary = env!("CARGO_BIN_EXE_poetry-dash");
    let raw = in_a_pty(
        &format!("{binary} --tui {}", address_of(&server, 0)),
        30,
        110,
        |wait, keys| {
            // ratatui moves the cursor over unchanged cells, and the log
            // wraps its lines, so wait for a short piece of text: the log
            // line of the finished poem.
            wait("complete,");
            keys.write_all(b"q").unwrap();
            keys.flush().unwrap();
            wait("Got 1 poems");
        },
    );
    assert_no_payload(&raw);
    // Shown visibly, not silently dropped (ratatui drops some controls on
    // its own; the user should see that the server tried).
    let shown = String::from_utf8_lossy(&raw);
    assert!(shown.contains("title:^[]0;pwned^G"), "{shown}");
    assert!(shown.contains("<U+202E>desrever"), "{shown}");
}
