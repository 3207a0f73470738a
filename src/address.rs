//! Server addresses as people type them: `PORT`, `HOST:PORT`, `[IPv6]:PORT`,
//! each optionally named (`NAME=ADDRESS`), and lists of them in files
//! (`@FILE`, `-i FILE`, `-i -` for stdin).
//!
//! Parsing never touches the network: host names stay names until the engine
//! resolves them, so a bad list is rejected before anything starts.

use std::fmt;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// Where an address was written, so an error can point the user at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The n-th address argument on the command line (1-based).
    Argument(usize),
    /// A line of an address file (1-based).
    File { path: PathBuf, line: usize },
    /// A line read from standard input (1-based).
    Stdin { line: usize },
    /// The n-th address typed into the dashboard's add prompt (1-based).
    Typed(usize),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Argument(n) => write!(f, "argument {n}"),
            Source::File { path, line } => write!(f, "{} line {line}", path.display()),
            Source::Stdin { line } => write!(f, "stdin line {line}"),
            Source::Typed(n) => write!(f, "address {n} typed"),
        }
    }
}

/// A server to download a poem from. The host is kept as written (an IP
/// literal or a name to resolve later); `Display` gives `host:port`, with
/// brackets around IPv6 literals.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    pub host: String,
    pub port: u16,
    /// The name the person gave it (`ecstasy=127.0.0.1:10000`), if any.
    pub label: Option<Box<str>>,
}

impl Address {
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Address {
            host: host.into(),
            port,
            label: None,
        }
    }

    /// The same address, named.
    pub fn named(self, label: &str) -> Self {
        Address {
            label: Some(label.into()),
            ..self
        }
    }

    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// The name and the address (`ecstasy 127.0.0.1:10000`), or the address
    /// alone: how people see a server wherever it is shown.
    pub fn shown(&self) -> String {
        match &self.label {
            Some(label) => format!("{label} {self}"),
            None => self.to_string(),
        }
    }

    /// The text that parses back to this address, name included
    /// (`ecstasy=127.0.0.1:10000`): a line of an `-i` file.
    pub fn as_input(&self) -> String {
        match &self.label {
            Some(label) => format!("{label}={self}"),
            None => self.to_string(),
        }
    }

    /// `127.0.0.1:PORT`, the tutorial's meaning of a bare port.
    pub fn loopback(port: u16) -> Self {
        Address::new("127.0.0.1", port)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Why a piece of text is not an address. `Display` gives the one-line
/// message the user sees, naming the text and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad address {:?} ({origin}): {problem}", short(text))]
pub struct AddressError {
    pub text: String,
    pub origin: Source,
    pub problem: &'static str,
}

/// The longest name an address may carry.
pub const MAX_LABEL: usize = 32;

/// Parses one address, optionally named (`NAME=ADDRESS`). The problem
/// string is short and lower case so that callers can wrap it with the text
/// and its source.
pub fn parse(text: &str) -> Result<Address, &'static str> {
    match text.split_once('=') {
        Some((label, address)) => {
            let well_formed = !label.is_empty()
                && label.chars().count() <= MAX_LABEL
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
            if !well_formed {
                return Err("a name (before '=') is 1-32 letters, digits, '.', '_' or '-'");
            }
            if address.starts_with('@') {
                return Err(
                    "names go on addresses, not on lists: write NAME=ADDRESS on the list's lines",
                );
            }
            Ok(parse_address(address)?.named(label))
        }
        None => parse_address(text),
    }
}

/// Splits text typed or pasted into the add prompt (addresses separated by
/// spaces, commas or newlines) and parses each; the first bad one is the
/// error, naming it and its place.
pub fn parse_many(text: &str) -> Result<Vec<Address>, AddressError> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|word| !word.is_empty())
        .enumerate()
        .map(|(index, word)| {
            parse(word).map_err(|problem| AddressError {
                text: word.to_string(),
                origin: Source::Typed(index + 1),
                problem,
            })
        })
        .collect()
}

fn parse_address(text: &str) -> Result<Address, &'static str> {
    if text.is_empty() {
        return Err("empty address");
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("addresses cannot contain spaces or control characters");
    }
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or("missing ']' after the IPv6 address")?;
        let port = after
            .strip_prefix(':')
            .ok_or("expected ':PORT' after the ']'")?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err("not an IPv6 address inside the brackets");
        }
        return Ok(Address::new(host, parse_port(port)?));
    }
    match text.rsplit_once(':') {
        None => Ok(Address::loopback(parse_port(text)?)),
        Some((host, _)) if host.contains(':') => {
            Err("IPv6 addresses need brackets, as in [::1]:10000")
        }
        Some(("", _)) => Err("missing host before ':'"),
        Some((host, port)) => {
            if !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            {
                return Err("host names may contain only letters, digits, '.', '-' and '_'");
            }
            // A name DNS cannot carry is refused here, not sent to a resolver.
            if host.len() > 253 || host.split('.').any(|label| label.len() > 63) {
                return Err("host name too long (at most 253 characters, 63 between dots)");
            }
            Ok(Address::new(host, parse_port(port)?))
        }
    }
}

fn parse_port(text: &str) -> Result<u16, &'static str> {
    if text.is_empty() {
        return Err("missing port");
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err("port must be a number 1-65535");
    }
    match text.parse::<u32>() {
        Ok(port @ 1..=65535) => Ok(port as u16),
        _ => Err("port must be 1-65535"),
    }
}

/// The longest line an address list may hold (an address with a comment
/// fits many times over): no more of a line is kept. A longer line is a bad
/// line (a file is refused for it; a stream skips it, passing over at most
/// 1 MiB to find its end, and gives the list up past that: `/dev/zero`
/// piped in ends in an error, not in a loop). An endless list of good lines
/// is still read to its end: each is an address.
pub const MAX_LINE: usize = 4096;

/// At most the first 40 characters of `text`, for error messages: a bad
/// megabyte is named, not echoed.
fn short(text: &str) -> String {
    const SHOWN: usize = 40;
    if text.chars().count() <= SHOWN {
        text.to_string()
    } else {
        text.chars().take(SHOWN).collect::<String>() + "…"
    }
}

/// One address per line; blank lines and `#` comments (whole-line or after
/// the address) are ignored. Lines are read one at a time, never longer than
/// [`MAX_LINE`].
pub fn parse_lines(
    reader: impl BufRead,
    source_of_line: impl Fn(usize) -> Source,
) -> Result<Vec<Address>, ListError> {
    let mut addresses = Vec::new();
    let mut bad = None;
    each_line(reader, source_of_line, |parsed| match parsed {
        Ok(address) => {
            addresses.push(address);
            true
        }
        Err(err) => {
            bad = Some(err);
            false
        }
    })?;
    match bad {
        Some(err) => Err(err),
        None => Ok(addresses),
    }
}

/// Anything that stops an address list from being read.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error(transparent)]
    Address(#[from] AddressError),
    #[error("cannot read address list {what}: {source}")]
    Read {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// A line that is no address at all (a file is refused for it, a
    /// stream skips it): said as what it is, not as a failed read.
    #[error("{what}: {problem}")]
    NotAList { what: String, problem: &'static str },
}

/// What a streamed address list sends, line by line.
#[derive(Debug)]
pub enum Streamed {
    Address(Address),
    /// A line that is not an address (nor text, or too long), skipped: the
    /// message names it and its line number, and the lines after it are
    /// read. A failed read ends the list, and its message says so.
    Bad(String),
}

/// Whether `-i PATH` is read as a stream (downloads start as lines arrive):
/// stdin (`-`) or a FIFO, unless it is a regular file.
pub fn is_stream(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    if path == Path::new("-") {
        // `-i - < file` is a file: read whole, like any other.
        let stdin = std::fs::metadata("/dev/stdin");
        return !stdin.is_ok_and(|meta| meta.is_file());
    }
    std::fs::metadata(path).is_ok_and(|meta| meta.file_type().is_fifo())
}

/// Reads a list on a thread of its own and sends each address as its line
/// arrives; the channel closes when the list ends. `tail -f list |
/// poetry-dash -i -` feeds a running session this way.
pub fn stream(path: &Path) -> tokio::sync::mpsc::UnboundedReceiver<Streamed> {
    let (lines, receiver) = tokio::sync::mpsc::unbounded_channel();
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        // Opened here: opening a FIFO waits for its writer, and the run
        // must not wait for that.
        let reader: Box<dyn BufRead + Send> = if path == Path::new("-") {
            Box::new(std::io::BufReader::new(std::io::stdin()))
        } else {
            match open_list(&path) {
                Ok(file) => Box::new(std::io::BufReader::new(file)),
                Err(err) => {
                    let _ = lines.send(Streamed::Bad(err.to_string()));
                    return;
                }
            }
        };
        let source_of_line = |line| {
            if path == Path::new("-") {
                Source::Stdin { line }
            } else {
                Source::File {
                    path: path.clone(),
                    line,
                }
            }
        };
        let sent = each_line(reader, source_of_line, |parsed| {
            let streamed = match parsed {
                Ok(address) => Streamed::Address(address),
                Err(err) => Streamed::Bad(err.to_string()),
            };
            lines.send(streamed).is_ok()
        });
        if let Err(err) = sent {
            // Not a skipped line: nothing after it is read.
            let _ = lines.send(Streamed::Bad(format!(
                "{err}; the rest of the list was not read"
            )));
        }
    });
    receiver
}

/// Reads `reader` a line at a time and hands each address, or the error
/// naming a line that is not one (not an address, not text, too long), to
/// `each`, which says whether to go on. A line that is not an address never
/// stops the reading: whoever listens decides (a file is refused at its
/// first bad line; a stream skips it and reads on). Only a failed read ends
/// the list early, and it is returned.
fn each_line(
    mut reader: impl BufRead,
    source_of_line: impl Fn(usize) -> Source,
    mut each: impl FnMut(Result<Address, ListError>) -> bool,
) -> Result<(), ListError> {
    let mut bytes = Vec::new();
    for number in 1.. {
        let source = source_of_line(number);
        let read_error = |err| ListError::Read {
            what: source.to_string(),
            source: err,
        };
        bytes.clear();
        let read = std::io::Read::take(&mut reader, MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut bytes)
            .map_err(read_error)?;
        if read == 0 {
            break;
        }
        let too_long = bytes.len() > MAX_LINE && !bytes.ends_with(b"\n");
        let parsed = if too_long {
            Err(ListError::NotAList {
                what: source.to_string(),
                problem: "a line longer than 4096 bytes (is it an address list?)",
            })
        } else if let Ok(line) = std::str::from_utf8(&bytes) {
            let text = line.split('#').next().unwrap_or("").trim();
            if text.is_empty() {
                continue;
            }
            parse(text).map_err(|problem| {
                ListError::Address(AddressError {
                    text: text.to_string(),
                    origin: source,
                    problem,
                })
            })
        } else {
            Err(ListError::NotAList {
                what: source.to_string(),
                problem: "not text (the line is not UTF-8)",
            })
        };
        if !each(parsed) {
            break;
        }
        if too_long {
            // Read on only past the rest of the line, a buffer at a time, so
            // a line without end costs no memory (and a file of one, such
            // as /dev/zero, has already been refused above).
            let found_end = skip_line(&mut reader).map_err(|err| ListError::Read {
                what: source_of_line(number).to_string(),
                source: err,
            })?;
            if !found_end {
                return Err(ListError::NotAList {
                    what: source_of_line(number).to_string(),
                    problem: "no line end within 1 MiB (is it an address list?)",
                });
            }
        }
    }
    Ok(())
}

/// The most of one over-long line passed over before the list is given up
/// (`/dev/zero` piped in has no line end to find).
const SKIP_AT_MOST: usize = 1 << 20;

/// Reads up to and including the next newline, keeping nothing; false when
/// no newline came within [`SKIP_AT_MOST`] bytes.
fn skip_line(reader: &mut impl BufRead) -> std::io::Result<bool> {
    let mut skipped = 0;
    while skipped < SKIP_AT_MOST {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(true);
        }
        match memchr::memchr(b'\n', buffer) {
            Some(newline) => {
                reader.consume(newline + 1);
                return Ok(true);
            }
            None => {
                let all = buffer.len();
                skipped += all;
                reader.consume(all);
            }
        }
    }
    Ok(false)
}

/// Opens an address file, the error naming it.
fn open_list(path: &Path) -> Result<std::fs::File, ListError> {
    std::fs::File::open(path).map_err(|source| ListError::Read {
        what: format!("{:?}", path.display().to_string()),
        source,
    })
}

/// Reads an address file, or standard input for `-`.
pub fn read_list(path: &Path) -> Result<Vec<Address>, ListError> {
    if path == Path::new("-") {
        let stdin = std::io::stdin();
        return parse_lines(stdin.lock(), |line| Source::Stdin { line });
    }
    let file = open_list(path)?;
    parse_lines(std::io::BufReader::new(file), |line| Source::File {
        path: path.to_path_buf(),
        line,
    })
}

/// Expands the command line's address arguments (`@FILE` included) and any
/// `--input` files into one list, in the order given. A repeated address is
/// kept: it means a second download. (Streamed inputs, see [`is_stream`],
/// are left to the caller.)
pub fn collect(arguments: &[String], inputs: &[PathBuf]) -> Result<Vec<Address>, ListError> {
    let mut addresses = Vec::new();
    for (index, argument) in arguments.iter().enumerate() {
        if let Some(path) = argument.strip_prefix('@') {
            addresses.extend(read_list(Path::new(path))?);
        } else {
            let address = parse(argument).map_err(|problem| AddressError {
                text: argument.clone(),
                origin: Source::Argument(index + 1),
                problem,
            })?;
            addresses.push(address);
        }
    }
    for path in inputs.iter().filter(|path| !is_stream(path)) {
        addresses.extend(read_list(path)?);
    }
    Ok(addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_on_a_list_says_where_names_go() {
        let err = collect(&["x=@list.txt".to_string()], &[]).expect_err("refused");
        assert_eq!(
            err.to_string(),
            "bad address \"x=@list.txt\" (argument 1): names go on addresses, not on lists: write NAME=ADDRESS on the list's lines"
        );
    }

    #[test]
    fn the_errors_say_how_to_fix_the_address() {
        assert_eq!(
            parse("::1:80"),
            Err("IPv6 addresses need brackets, as in [::1]:10000")
        );
        let err = collect(&["::1:80".to_string()], &[]).expect_err("refused");
        assert_eq!(
            err.to_string(),
            "bad address \"::1:80\" (argument 1): IPv6 addresses need brackets, as in [::1]:10000"
        );
    }

    /// Every item `each_line` hands over for `text`: the address, or the
    /// error's words.
    fn lines_of(text: &[u8]) -> Vec<Result<String, String>> {
        let mut seen = Vec::new();
        each_line(
            text,
            |line| Source::Stdin { line },
            |parsed| {
                seen.push(parsed.map(|a| a.to_string()).map_err(|e| e.to_string()));
                true
            },
        )
        .expect("read");
        seen
    }

    #[test]
    fn a_list_is_read_line_by_line_past_the_lines_that_are_not_addresses() {
        let mut text = b"10000\n".to_vec();
        text.extend_from_slice(&vec![b'x'; MAX_LINE + 100]);
        text.extend_from_slice(b"\n\xff\n10001\n");
        text.extend_from_slice(b"77");
        assert_eq!(
            lines_of(&text),
            [
                Ok("127.0.0.1:10000".to_string()),
                Err(
                    "stdin line 2: a line longer than 4096 bytes (is it an address list?)"
                        .to_string()
                ),
                Err("stdin line 3: not text (the line is not UTF-8)".to_string()),
                Ok("127.0.0.1:10001".to_string()),
                // The last line, without its newline.
                Ok("127.0.0.1:77".to_string()),
            ]
        );
        // A last line of exactly the longest length, without a newline, is
        // read as a line (and then refused as an address, not as too long).
        let longest = vec![b'1'; MAX_LINE];
        let seen = lines_of(&longest);
        assert_eq!(seen.len(), 1);
        assert!(
            seen[0].as_ref().is_err_and(|e| e.contains("bad address")),
            "{seen:?}"
        );
    }

    #[test]
    fn a_stream_without_line_ends_is_given_up_after_a_mebibyte() {
        let zeros = std::io::Read::take(std::io::repeat(0), 64 << 20);
        let mut seen = 0;
        let err = each_line(
            std::io::BufReader::new(zeros),
            |line| Source::Stdin { line },
            |_| {
                seen += 1;
                true
            },
        )
        .expect_err("given up");
        assert_eq!(seen, 1, "the first 4 KiB, refused as too long");
        assert_eq!(
            err.to_string(),
            "stdin line 1: no line end within 1 MiB (is it an address list?)"
        );
    }

    #[test]
    fn files_are_read_whole_and_fifos_as_streams() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("servers.txt");
        std::fs::write(&list, "one=10000\n# a comment\n10001\nnope:0\n").unwrap();
        assert!(!is_stream(&list), "a regular file is read whole");
        let err = read_list(&list).expect_err("a bad line refuses the file");
        assert!(err.to_string().contains("servers.txt line 4"), "{err}");
        std::fs::write(&list, "one=10000\n10001\n").unwrap();
        let addresses = read_list(&list).expect("read");
        assert_eq!(addresses.len(), 2);
        assert_eq!(addresses[0].label(), Some("one"));
        let inputs = [list.clone()];
        let collected = collect(&["10002".to_string()], &inputs).expect("collected");
        assert_eq!(
            collected.iter().map(|a| a.port).collect::<Vec<_>>(),
            [10002, 10000, 10001],
            "arguments, then the files given with -i"
        );
        let fifo = dir.path().join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        assert!(is_stream(&fifo), "a FIFO is read as lines arrive");
        assert_eq!(
            collect(&[], &[fifo]).unwrap(),
            vec![],
            "streams are left to the caller"
        );
    }

    #[tokio::test]
    async fn a_streamed_file_sends_each_line_and_names_the_bad_ones_by_file() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("servers.txt");
        std::fs::write(&list, "10000\nnope:0\n10001\n").unwrap();
        let mut lines = stream(&list);
        let mut seen = Vec::new();
        while let Some(line) = lines.recv().await {
            seen.push(match line {
                Streamed::Address(address) => address.to_string(),
                Streamed::Bad(message) => message,
            });
        }
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert_eq!(seen[0], "127.0.0.1:10000");
        assert!(seen[1].contains("servers.txt line 2"), "{seen:?}");
        assert_eq!(seen[2], "127.0.0.1:10001");
        let mut missing = stream(&dir.path().join("no-such-list"));
        let Some(Streamed::Bad(message)) = missing.recv().await else {
            panic!("a missing list is said");
        };
        assert!(message.contains("no-such-list"), "{message}");
    }

    #[test]
    fn spaces_controls_and_host_lengths_are_refused_with_their_reason() {
        let spaces = "addresses cannot contain spaces or control characters";
        assert_eq!(parse("my host:80"), Err(spaces));
        assert_eq!(parse("host\u{7}:80"), Err(spaces));
        assert_eq!(parse("\u{1b}[2J"), Err(spaces));
        // 253 characters in labels of 63 at most: the longest DNS name.
        let label = "a".repeat(63);
        let longest = format!("{label}.{label}.{label}.{}", "b".repeat(61));
        assert_eq!(longest.len(), 253);
        assert!(parse(&format!("{longest}:80")).is_ok());
        assert_eq!(
            parse(&format!("{longest}c:80")),
            Err("host name too long (at most 253 characters, 63 between dots)")
        );
        assert!(parse(&format!("{}:80", "a".repeat(64))).is_err());
    }

    #[test]
    fn a_name_may_be_as_long_as_documented_and_no_longer() {
        let longest = "n".repeat(MAX_LABEL);
        assert_eq!(MAX_LABEL, 32, "the README's and --help's figure");
        let named = parse(&format!("{longest}=10000")).expect("32 characters are taken");
        assert_eq!(named.label(), Some(longest.as_str()));
        assert_eq!(
            parse(&format!("{longest}n=10000")),
            Err("a name (before '=') is 1-32 letters, digits, '.', '_' or '-'")
        );
        assert!(parse("=10000").is_err(), "an empty name");
    }

    #[test]
    fn accepts_the_tutorial_forms() {
        assert_eq!(parse("10000"), Ok(Address::loopback(10000)));
        assert_eq!(
            parse("localhost:10001"),
            Ok(Address::new("localhost", 10001))
        );
        assert_eq!(parse("[::1]:10002"), Ok(Address::new("::1", 10002)));
        assert_eq!(parse("[::1]:10002").unwrap().to_string(), "[::1]:10002");
        assert_eq!(parse("10000").unwrap().to_string(), "127.0.0.1:10000");
    }

    #[test]
    fn rejects_bad_ports_and_hosts() {
        assert_eq!(parse("host:99999"), Err("port must be 1-65535"));
        assert_eq!(parse("0"), Err("port must be 1-65535"));
        assert_eq!(parse("host:"), Err("missing port"));
        assert_eq!(parse(":80"), Err("missing host before ':'"));
        assert_eq!(parse("host:8x"), Err("port must be a number 1-65535"));
        assert!(parse("::1:80").is_err());
        assert!(parse("[::1]80").is_err());
        assert!(parse("[nope]:80").is_err());
        assert!(parse("a b:80").is_err());
        assert!(parse("h\u{1b}[2J:80").is_err());
        assert_eq!(parse(""), Err("empty address"));
    }

    #[test]
    fn file_lines_skip_comments_and_name_the_line() {
        let text = "# servers\n10000\n\n  localhost:10001  # Yeats\nhost:99999\n";
        let err = parse_lines(text.as_bytes(), |line| Source::File {
            path: "servers.txt".into(),
            line,
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"bad address "host:99999" (servers.txt line 5): port must be 1-65535"#
        );
        let ok = parse_lines("10000\n10000\n# x\n".as_bytes(), |line| Source::Stdin {
            line,
        })
        .unwrap();
        assert_eq!(ok.len(), 2, "a repeated address is a second download");
    }

    #[test]
    fn names_dns_cannot_carry_are_refused_before_any_lookup() {
        let long_label = format!("{}.example:10000", "a".repeat(64));
        assert!(parse(&long_label).is_err());
        let long_name = format!("{}:10000", vec!["a".repeat(60); 5].join("."));
        assert!(parse(&long_name).is_err());
        assert!(parse(&format!("{}.example:10000", "a".repeat(63))).is_ok());
    }

    #[test]
    fn an_endless_or_binary_list_is_one_short_error() {
        let endless = std::io::BufReader::new(std::io::repeat(0));
        let err = parse_lines(endless, |line| Source::Stdin { line }).unwrap_err();
        assert_eq!(
            err.to_string(),
            "stdin line 1: a line longer than 4096 bytes (is it an address list?)"
        );
        let binary = &b"10000\n\xff\xfe\n"[..];
        let err = parse_lines(binary, |line| Source::Stdin { line }).unwrap_err();
        assert!(err.to_string().contains("stdin line 2: not text"), "{err}");
        let long = format!("{}\n", "x".repeat(4000));
        let err = parse_lines(long.as_bytes(), |line| Source::Stdin { line }).unwrap_err();
        assert!(err.to_string().len() < 120, "a short prefix only: {err}");
    }

    #[test]
    fn addresses_carry_names() {
        let named = parse("ecstasy=127.0.0.1:10000").unwrap();
        assert_eq!(named, Address::loopback(10000).named("ecstasy"));
        assert_eq!(named.label(), Some("ecstasy"));
        assert_eq!(named.to_string(), "127.0.0.1:10000", "the address alone");
        assert_eq!(named.shown(), "ecstasy 127.0.0.1:10000");
        assert_eq!(parse(&named.as_input()), Ok(named));
        assert_eq!(parse("slow=10001").unwrap().label(), Some("slow"));
        assert_eq!(parse("v6.name_1-a=[::1]:80").unwrap().host, "::1");
        for bad in [
            "=10000",
            "a b=10000",
            "x!=10000",
            "é=10000",
            &format!("{}=1", "n".repeat(33)),
        ] {
            assert!(parse(bad).unwrap_err().contains("a name"), "{bad}");
        }
        assert_eq!(parse("ok=nope:0"), Err("port must be 1-65535"));
        let err = collect(&["10000".into(), "bad name=1".into()], &[]);
        assert!(err.is_err(), "a space splits arguments only in the shell");
    }

    #[test]
    fn typed_text_holds_many_addresses() {
        let many = parse_many("10000, b=10001\n[::1]:10002\t 10003").unwrap();
        assert_eq!(many.len(), 4);
        assert_eq!(many[1].label(), Some("b"));
        let err = parse_many("10000 x:0 10001").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"bad address "x:0" (address 2 typed): port must be 1-65535"#
        );
        assert!(parse_many("  ").unwrap().is_empty());
    }

    #[test]
    fn arguments_are_numbered() {
        let err = collect(&["10000".into(), "x:0".into()], &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"bad address "x:0" (argument 2): port must be 1-65535"#
        );
    }
}
