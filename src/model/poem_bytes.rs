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
use smallvec::SmallVec;

use crate::engine::push_segment;

#[derive(Debug, Clone, Default)]
pub struct PoemBytes {
    /// Nothing at all until the first byte: a download that has not
    /// received anything (a million queued ones) pays one pointer for it.
    pieces: Option<Box<Pieces>>,
}

#[derive(Debug, Clone, Default)]
struct Pieces {
    /// One piece in place (a short poem, or any poem the dashboard keeps
    /// after copying it whole), more on the heap.
    segments: SmallVec<[BytesMut; 1]>,
    /// Where each segment after the first starts in the poem, for finding a
    /// position without walking every segment before it. (The first starts
    /// at 0: a poem in one piece, the usual short poem, allocates nothing
    /// here.)
    later_starts: Vec<usize>,
    len: usize,
}

impl PoemBytes {
    pub fn len(&self) -> usize {
        self.pieces.as_ref().map_or(0, |p| p.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn segment_list(&self) -> &[BytesMut] {
        self.pieces.as_ref().map_or(&[], |p| &p.segments[..])
    }

    /// A short poem moved into a buffer of its own size. Its bytes sit in
    /// the engine's read buffer, which is at least 4 KiB: kept as they are,
    /// a 256-byte poem would hold sixteen times its size for as long as it
    /// is kept. Copying a short poem once is cheaper than that. A poem of
    /// half a buffer or more is left where it is: it wastes at most as much
    /// as it holds, and copying thousands of them at once (W3: 10,000 poems
    /// of 4 KiB) raised the peak by more than it saved, since the old
    /// buffers are freed only after the copies exist.
    pub fn shrink_if_short(&mut self) {
        const SHORT: usize = 2 * 1024;
        let len = self.len();
        if let Some(pieces) = &mut self.pieces {
            // The list of pieces grew in steps while the poem arrived.
            pieces.segments.shrink_to_fit();
            pieces.later_starts.shrink_to_fit();
        }
        if len == 0 || len > SHORT {
            return;
        }
        let whole = BytesMut::from(&self.contiguous()[..]);
        *self = PoemBytes::default();
        self.push(whole);
        if let Some(pieces) = &mut self.pieces {
            pieces.segments.shrink_to_fit();
            pieces.later_starts.shrink_to_fit();
        }
    }

    pub fn push(&mut self, piece: BytesMut) {
        if piece.is_empty() {
            return;
        }
        let pieces = self.pieces.get_or_insert_with(Box::default);
        let before = pieces.segments.len();
        let start = pieces.len;
        pieces.len += piece.len();
        push_segment(&mut pieces.segments, piece);
        if pieces.segments.len() > before && before > 0 {
            pieces.later_starts.push(start);
        }
    }

    /// Appends the pieces of a progress event. The first bytes of a poem
    /// keep the event's own list of pieces (no allocation of ours).
    pub fn extend(&mut self, pieces: Vec<BytesMut>) {
        if self.pieces.is_none() && pieces.len() == 1 && !pieces[0].is_empty() {
            let len = pieces[0].len();
            self.pieces = Some(Box::new(Pieces {
                segments: SmallVec::from_vec(pieces),
                later_starts: Vec::new(),
                len,
            }));
            return;
        }
        for piece in pieces {
            self.push(piece);
        }
    }

    /// The pieces in order.
    pub fn segments(&self) -> impl Iterator<Item = &[u8]> {
        self.segment_list().iter().map(|s| &s[..])
    }

    /// The pieces from byte `from` on, each with its offset in the poem.
    pub fn segments_from(&self, from: usize) -> impl Iterator<Item = (usize, &[u8])> {
        let (segments, later): (&[BytesMut], &[usize]) = match &self.pieces {
            Some(p) => (&p.segments[..], &p.later_starts[..]),
            None => (&[], &[]),
        };
        // The last segment starting at or before `from` (segment 0 starts
        // at 0, segment i + 1 at later[i]).
        let first = later
            .partition_point(|&start| start <= from)
            .min(segments.len());
        (first..segments.len())
            .map(move |i| (&segments[i], if i == 0 { 0 } else { later[i - 1] }))
            .filter_map(move |(segment, start)| {
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
        self.segment_list().last().and_then(|s| s.last().copied())
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
}
