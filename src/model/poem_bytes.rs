//! A poem's bytes, kept in the pieces the engine read them into.
//!
//! The engine hands over the buffers it read into; joining them into one
//! contiguous buffer would copy every byte once more (and touch twice the
//! memory), which for a 256 MiB poem costs more than receiving it. So the
//! pieces stay as they are: consecutive pieces of one allocation merge for
//! free, and only the few bytes on screen are ever copied.

use std::borrow::Cow;
use std::io::{self, Write};

use bytes::BytesMut;

use crate::engine::{join, push_segment};

#[derive(Debug, Clone, Default)]
pub struct PoemBytes {
    /// Nothing at all until the first byte: a download that has not
    /// received anything (a million queued ones) pays one pointer for it.
    pieces: Option<Box<Pieces>>,
}

#[derive(Debug, Clone, Default)]
struct Pieces {
    /// The first piece, in place. A poem read into one buffer (the usual
    /// short poem, and any poem the dashboard keeps after copying it into
    /// [`ShortPoems`]) is this piece alone: 40 bytes of ours beside its
    /// bytes.
    first: BytesMut,
    /// The pieces after the first, once a poem spans buffers.
    more: Option<Box<MorePieces>>,
}

#[derive(Debug, Clone, Default)]
struct MorePieces {
    segments: Vec<BytesMut>,
    /// Where each of `segments` starts in the poem, for finding a position
    /// without walking every piece before it.
    starts: Vec<usize>,
    /// Bytes in `segments`.
    len: usize,
}

/// Where the dashboard keeps the short poems that have ended: many to one
/// buffer, each a piece of it. A poem's bytes sit in the engine's read
/// buffer, which is at least 4 KiB: kept as they are, a 256-byte poem would
/// hold sixteen times its size for as long as it is shown; copied into an
/// allocation of its own it would still pay the allocator's overhead, and
/// scatter small blocks among the read buffers. Here it costs its bytes.
/// A buffer is freed once every poem in it is gone.
/// (A clone fills buffers of its own: the poems already kept are shared.)
#[derive(Debug, Clone, Default)]
pub struct ShortPoems {
    /// The buffer being filled: its spare capacity takes the next poem.
    page: BytesMut,
}

impl ShortPoems {
    /// A poem of at most this many bytes is copied when it ends. A poem of
    /// half a read buffer or more is left where it is: it wastes at most as
    /// much as it holds, and copying thousands of them at once (W3: 10,000
    /// poems of 4 KiB) raised the peak by more than it saved, since the old
    /// buffers are freed only after the copies exist.
    pub const SHORT: usize = 2 * 1024;
    /// The size of each shared buffer.
    const PAGE: usize = 64 * 1024;

    /// `bytes` copied into the buffer being filled (a new one when they do
    /// not fit), as a piece of it.
    fn keep(&mut self, bytes: &[u8]) -> BytesMut {
        if self.page.capacity() - self.page.len() < bytes.len() {
            self.page = BytesMut::with_capacity(Self::PAGE.max(bytes.len()));
        }
        self.page.extend_from_slice(bytes);
        self.page.split()
    }
}

impl Pieces {
    fn len(&self) -> usize {
        self.first.len() + self.more.as_deref().map_or(0, |m| m.len)
    }

    fn push(&mut self, piece: BytesMut) {
        let start = self.len();
        match &mut self.more {
            None => {
                if let Some(piece) = join(&mut self.first, piece) {
                    self.more = Some(Box::new(MorePieces {
                        len: piece.len(),
                        segments: vec![piece],
                        starts: vec![start],
                    }));
                }
            }
            Some(more) => {
                let before = more.segments.len();
                more.len += piece.len();
                push_segment(&mut more.segments, piece);
                if more.segments.len() > before {
                    more.starts.push(start);
                }
            }
        }
    }
}

impl PoemBytes {
    pub fn len(&self) -> usize {
        self.pieces.as_deref().map_or(0, Pieces::len)
    }

    pub fn is_empty(&self) -> bool {
        self.pieces.is_none()
    }

    /// Short enough to be kept in [`ShortPoems`] once it has ended, and to
    /// have its lines counted again rather than kept in an index.
    pub fn is_short(&self) -> bool {
        self.len() <= ShortPoems::SHORT
    }

    /// A short poem that has ended moved into `store` (see [`ShortPoems`]);
    /// a longer one only gives back the spare room of its list of pieces.
    pub fn keep_if_short(&mut self, store: &mut ShortPoems) {
        let short = self.is_short();
        let Some(pieces) = &mut self.pieces else {
            return;
        };
        if !short {
            if let Some(more) = &mut pieces.more {
                // The list of pieces grew in steps while the poem arrived.
                more.segments.shrink_to_fit();
                more.starts.shrink_to_fit();
            }
            return;
        }
        let kept = store.keep(&self.contiguous());
        self.pieces = Some(Box::new(Pieces {
            first: kept,
            more: None,
        }));
    }

    pub fn push(&mut self, piece: BytesMut) {
        if piece.is_empty() {
            return;
        }
        match &mut self.pieces {
            None => {
                self.pieces = Some(Box::new(Pieces {
                    first: piece,
                    more: None,
                }))
            }
            Some(pieces) => pieces.push(piece),
        }
    }

    /// Appends the pieces of a progress event.
    pub fn extend(&mut self, pieces: Vec<BytesMut>) {
        for piece in pieces {
            self.push(piece);
        }
    }

    /// The pieces in order.
    pub fn segments(&self) -> impl Iterator<Item = &[u8]> {
        self.segments_from(0).map(|(_, piece)| piece)
    }

    /// The pieces from byte `from` on, each with its offset in the poem.
    pub fn segments_from(&self, from: usize) -> impl Iterator<Item = (usize, &[u8])> {
        let pieces = self.pieces.as_deref();
        let first = pieces
            .filter(|p| from < p.first.len())
            .map(|p| (0, &p.first));
        let more = pieces.and_then(|p| p.more.as_deref());
        // The later pieces before the one holding `from` are skipped by a
        // search, not a walk.
        let skip = more.map_or(0, |m| {
            m.starts
                .partition_point(|&start| start <= from)
                .saturating_sub(1)
        });
        let later = more.into_iter().flat_map(move |m| {
            m.starts[skip..]
                .iter()
                .copied()
                .zip(m.segments[skip..].iter())
        });
        first
            .into_iter()
            .chain(later)
            .filter_map(move |(start, segment)| {
                let skip = from.saturating_sub(start);
                (skip < segment.len()).then(|| (start + skip, &segment[skip..]))
            })
    }

    /// The whole poem in one slice: borrowed when it is in one piece.
    pub fn contiguous(&self) -> Cow<'_, [u8]> {
        self.slice(0, self.len())
    }

    /// Bytes `start..end` in one slice, copied only if they span pieces.
    pub fn slice(&self, start: usize, end: usize) -> Cow<'_, [u8]> {
        let end = end.min(self.len());
        if start >= end {
            return Cow::Borrowed(&[]);
        }
        let mut pieces = self.segments_from(start);
        match pieces.next() {
            Some((offset, first)) if offset + first.len() >= end => {
                Cow::Borrowed(&first[..end - offset])
            }
            Some((offset, first)) => {
                let mut joined = Vec::with_capacity(end - start);
                joined.extend_from_slice(first);
                let mut at = offset + first.len();
                for (_, piece) in pieces {
                    let take = piece.len().min(end - at);
                    joined.extend_from_slice(&piece[..take]);
                    at += take;
                    if at >= end {
                        break;
                    }
                }
                Cow::Owned(joined)
            }
            None => Cow::Borrowed(&[]),
        }
    }

    /// Where the first `byte` at or after `from` is, looking no further than
    /// `limit` (exclusive).
    pub fn find(&self, byte: u8, from: usize, limit: usize) -> Option<usize> {
        for (offset, piece) in self.segments_from(from) {
            if offset >= limit {
                return None;
            }
            let piece = &piece[..piece.len().min(limit - offset)];
            if let Some(at) = memchr::memchr(byte, piece) {
                return Some(offset + at);
            }
        }
        None
    }

    pub fn last(&self) -> Option<u8> {
        let pieces = self.pieces.as_deref()?;
        let last = pieces
            .more
            .as_deref()
            .and_then(|m| m.segments.last())
            .unwrap_or(&pieces.first);
        last.last().copied()
    }

    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        self.segments().try_for_each(|piece| out.write_all(piece))
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.contiguous().into_owned()
    }
}

impl PartialEq<[u8]> for PoemBytes {
    fn eq(&self, other: &[u8]) -> bool {
        self.len() == other.len() && *self.contiguous() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poem(pieces: &[&str]) -> PoemBytes {
        let mut poem = PoemBytes::default();
        for piece in pieces {
            poem.push(BytesMut::from(piece.as_bytes()));
        }
        poem
    }

    #[test]
    fn pieces_read_as_one() {
        let poem = poem(&["Where, like ", "a pillow", "", " on a bed,\n"]);
        assert_eq!(poem.len(), 31);
        assert_eq!(&*poem.contiguous(), b"Where, like a pillow on a bed,\n");
        assert_eq!(&*poem.slice(6, 14), b" like a ");
        assert!(
            matches!(poem.slice(0, 5), Cow::Borrowed(_)),
            "within a piece, no copy"
        );
        assert_eq!(poem.find(b'p', 0, 31), Some(14));
        assert_eq!(poem.find(b'\n', 21, 31), Some(30));
        assert_eq!(poem.find(b'\n', 0, 30), None, "not past the limit");
        assert_eq!(poem.last(), Some(b'\n'));
        let mut out = Vec::new();
        poem.write_to(&mut out).unwrap();
        assert_eq!(out, poem.to_vec());
        assert!(poem == *b"Where, like a pillow on a bed,\n".as_slice());
    }

    #[test]
    fn consecutive_pieces_of_one_buffer_merge() {
        let mut buffer = BytesMut::with_capacity(64);
        let mut poem = PoemBytes::default();
        for word in ["Sat ", "we ", "two"] {
            buffer.extend_from_slice(word.as_bytes());
            poem.push(buffer.split());
        }
        assert_eq!(poem.segments().count(), 1);
        assert_eq!(&*poem.contiguous(), b"Sat we two");
    }

    #[test]
    fn a_poem_in_many_pieces_reads_the_same_from_every_offset() {
        // The first piece in place, the rest in the list after it: each its
        // own allocation, but for the last two, consecutive parts of one
        // buffer, which merge into one piece of the list.
        let mut poem = poem(&["Wh", "ere, ", "l"]);
        let mut buffer = BytesMut::with_capacity(64);
        for part in ["ike a ", "pillow"] {
            buffer.extend_from_slice(part.as_bytes());
            poem.push(buffer.split());
        }
        assert_eq!(poem.segments().count(), 4, "the last two merged");
        let whole = poem.to_vec();
        assert_eq!(whole, b"Where, like a pillow");
        for from in 0..=whole.len() {
            let mut at = from;
            let mut read = Vec::new();
            for (offset, piece) in poem.segments_from(from) {
                assert_eq!(offset, at, "from {from}");
                read.extend_from_slice(piece);
                at += piece.len();
            }
            assert_eq!(read, &whole[from..], "from {from}");
        }
        assert_eq!(&*poem.slice(1, 8), b"here, l");
        assert_eq!(poem.find(b'k', 3, 20), Some(9));
        assert_eq!(poem.last(), Some(b'w'));
    }

    #[test]
    fn short_poems_kept_share_a_buffer_and_a_long_one_stays_where_it_is() {
        let mut store = ShortPoems::default();
        let mut first = poem(&["Where, like ", "a pillow"]);
        let mut second = poem(&["Sat we two"]);
        first.keep_if_short(&mut store);
        second.keep_if_short(&mut store);
        assert_eq!(first.to_vec(), b"Where, like a pillow");
        assert_eq!(second.to_vec(), b"Sat we two");
        let a = first.segments().next().unwrap();
        let b = second.segments().next().unwrap();
        assert_eq!(a.as_ptr().wrapping_add(a.len()), b.as_ptr());
        // A hundred more fill one buffer, back to back, before another.
        let kept: Vec<PoemBytes> = (0..100)
            .map(|i| {
                let mut short = poem(&[&format!("poem {i:03} ").repeat(10)]);
                short.keep_if_short(&mut store);
                short
            })
            .collect();
        for pair in kept.windows(2) {
            let a = pair[0].segments().next().unwrap();
            let b = pair[1].segments().next().unwrap();
            assert_eq!(a.as_ptr().wrapping_add(a.len()), b.as_ptr());
        }
        let text = vec![b'x'; ShortPoems::SHORT + 1];
        let mut long = poem(&[std::str::from_utf8(&text).unwrap()]);
        let before = long.segments().next().unwrap().as_ptr();
        long.keep_if_short(&mut store);
        assert_eq!(long.segments().next().unwrap().as_ptr(), before);
    }
}
