//! `--save DIR`: every poem on disk, written so that a file under its final
//! name is always whole.

use std::io;
use std::path::{Path, PathBuf};

use crate::address::Address;
use crate::engine::TaskId;
use crate::model::PoemBytes;

/// Writes poems into one directory, one file name per download.
#[derive(Debug)]
pub struct Saver {
    dir: PathBuf,
    names: Vec<String>,
    /// How many downloads have used each base name so far.
    seen: std::collections::HashMap<String, usize>,
    /// Every name handed out: `a-2` given to a name `a-2` must not be given
    /// again to the second `a`.
    taken: std::collections::HashSet<String>,
}

impl Saver {
    /// Creates `dir` if needed.
    pub fn new(dir: &Path) -> Result<Self, SaveError> {
        std::fs::create_dir_all(dir).map_err(|source| SaveError {
            what: "cannot create --save directory ",
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(Saver {
            dir: dir.to_path_buf(),
            names: Vec::new(),
            seen: Default::default(),
            taken: Default::default(),
        })
    }

    /// Picks the file names of downloads added to the end of the list: its
    /// name if it has one (`ecstasy.txt`), else its server's address made
    /// safe for a file system, with `-2`, `-3`, ... when one repeats.
    pub fn name<'a>(&mut self, addresses: impl IntoIterator<Item = &'a Address>) {
        for address in addresses {
            let base = match address.label() {
                // Names hold only letters, digits, '.', '_' and '-', and the
                // file name adds ".txt": never a path of its own.
                Some(label) => label.to_string(),
                None => format!("{}_{}", file_safe(&address.host), address.port),
            };
            let count = self.seen.entry(base.clone()).or_insert(0);
            let name = loop {
                *count += 1;
                let name = if *count == 1 {
                    base.clone()
                } else {
                    format!("{base}-{count}")
                };
                if !self.taken.contains(&name) {
                    break name;
                }
            };
            self.taken.insert(name.clone());
            self.names.push(name);
        }
    }

    /// Where a complete poem of `task` goes.
    pub fn complete_path(&self, task: TaskId) -> PathBuf {
        self.dir.join(format!("{}.txt", self.names[task.index()]))
    }

    /// Where the bytes of a failed or cancelled `task` go.
    pub fn partial_path(&self, task: TaskId) -> PathBuf {
        self.dir
            .join(format!("{}.txt.partial", self.names[task.index()]))
    }

    /// Saves a complete poem, and removes a `.partial` left by an earlier
    /// run of the same download.
    pub fn save_complete(&self, task: TaskId, poem: &PoemBytes) -> Result<PathBuf, SaveError> {
        let path = self.complete_path(task);
        write_atomically(&path, poem)?;
        let stale = self.partial_path(task);
        match std::fs::remove_file(&stale) {
            Err(source) if source.kind() != io::ErrorKind::NotFound => {
                return Err(SaveError {
                    what: "",
                    path: stale,
                    source,
                });
            }
            _ => {}
        }
        Ok(path)
    }

    pub fn save_partial(&self, task: TaskId, bytes: &PoemBytes) -> Result<PathBuf, SaveError> {
        let path = self.partial_path(task);
        write_atomically(&path, bytes)?;
        Ok(path)
    }
}

/// Only letters, digits, `.` and `-` survive; anything else becomes `_`.
fn file_safe(host: &str) -> String {
    host.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A temporary file in the same directory, then a rename: readers see the
/// old file or the whole new one, never half of it.
/// A file that could not be written: the poem's own file (never the
/// temporary one), and the system's error kept as the source.
#[derive(Debug, thiserror::Error)]
#[error("{what}{}: {source}", path.display())]
pub struct SaveError {
    what: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// Errors name the poem's own file, not the temporary one.
fn write_atomically(path: &Path, bytes: &PoemBytes) -> Result<(), SaveError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let write = || -> io::Result<()> {
        let mut file = tempfile::Builder::new()
            .prefix(".poetry-dash-")
            .suffix(".tmp")
            // The mode any new file gets (0644 under umask 022), not the
            // private 0600 of a temporary file.
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
            .tempfile_in(dir)?;
        // Through the file itself: the temporary file's own writer adds
        // its path to every error, and that path is gone by the time the
        // error is read.
        bytes.write_to(file.as_file_mut())?;
        file.as_file().sync_data()?;
        file.persist(path).map_err(|err| err.error)?;
        Ok(())
    };
    write().map_err(|source| SaveError {
        what: "",
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_partial_that_cannot_be_removed_is_said_and_a_missing_one_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        let mut saver = Saver::new(dir.path()).unwrap();
        saver.name(&[Address::loopback(10000), Address::loopback(10001)]);
        let mut poem = PoemBytes::default();
        poem.push(bytes::BytesMut::from(&b"Sat we two\n"[..]));
        // No partial left from before: nothing to say.
        let saved = saver.save_complete(TaskId::at(0), &poem).expect("saved");
        assert_eq!(std::fs::read(saved).unwrap(), b"Sat we two\n");
        // A partial that is not a file (it cannot be removed): said, naming it.
        let stale = saver.partial_path(TaskId::at(1));
        std::fs::create_dir(&stale).unwrap();
        std::fs::write(stale.join("inside"), "x").unwrap();
        let err = saver
            .save_complete(TaskId::at(1), &poem)
            .expect_err("the stale partial stays");
        assert_eq!(err.path, stale);
        assert!(
            saver.complete_path(TaskId::at(1)).exists(),
            "the poem is saved"
        );
    }

    #[test]
    fn names_follow_the_server_and_stay_unique() {
        let dir = tempfile::tempdir().unwrap();
        let addresses = [
            Address::loopback(10000),
            Address::loopback(10000),
            Address::new("::1", 10001),
            Address::loopback(10002).named("ecstasy"),
            Address::loopback(10003).named("ecstasy"),
            Address::loopback(10004).named(".."),
            Address::loopback(10005).named("a-2"),
            Address::loopback(10006).named("a"),
            Address::loopback(10007).named("a"),
        ];
        let mut saver = Saver::new(dir.path()).unwrap();
        saver.name(&addresses);
        let name = |p: PathBuf| p.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            name(saver.complete_path(TaskId::at(0))),
            "127.0.0.1_10000.txt"
        );
        assert_eq!(
            name(saver.complete_path(TaskId::at(1))),
            "127.0.0.1_10000-2.txt"
        );
        assert_eq!(
            name(saver.partial_path(TaskId::at(2))),
            "__1_10001.txt.partial"
        );
        assert_eq!(name(saver.complete_path(TaskId::at(3))), "ecstasy.txt");
        assert_eq!(name(saver.complete_path(TaskId::at(4))), "ecstasy-2.txt");
        assert_eq!(
            name(saver.complete_path(TaskId::at(8))),
            "a-3.txt",
            "a-2 is taken"
        );
        let dots = saver.complete_path(TaskId::at(5));
        assert_eq!(dots.parent(), Some(dir.path()), "inside the directory");
        let poem = |text: &str| {
            let mut poem = PoemBytes::default();
            poem.push(bytes::BytesMut::from(text.as_bytes()));
            poem
        };
        saver.save_partial(TaskId::at(0), &poem("half")).unwrap();
        saver.save_complete(TaskId::at(0), &poem("whole")).unwrap();
        assert_eq!(
            std::fs::read(saver.complete_path(TaskId::at(0))).unwrap(),
            b"whole"
        );
        assert!(
            !saver.partial_path(TaskId::at(0)).exists(),
            "the stale partial is gone"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files stay behind");
    }
}
