//! A poem in pieces: the buffers the engine read it into, kept as they are.

use bytes::BytesMut;

/// Appends `piece` to `segments`, merging it into the last one when it
/// continues that one's memory (see [`join`]).
pub fn push_segment<S>(segments: &mut S, piece: BytesMut)
where
    S: std::ops::DerefMut<Target = [BytesMut]> + Extend<BytesMut>,
{
    if piece.is_empty() {
        return;
    }
    let left = match segments.last_mut() {
        Some(last) => join(last, piece),
        None => Some(piece),
    };
    segments.extend(left);
}

/// Merges `piece` into `last` when it continues `last`'s memory (`unsplit`
/// is then free); otherwise hands it back.
pub fn join(last: &mut BytesMut, piece: BytesMut) -> Option<BytesMut> {
    if last.as_ptr().wrapping_add(last.len()) == piece.as_ptr() {
        last.unsplit(piece);
        None
    } else {
        Some(piece)
    }
}
