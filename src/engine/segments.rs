//! A poem in pieces: the buffers the engine read it into, kept as they are.

use bytes::BytesMut;

/// Appends `piece` to `segments`, merging it into the last one when it
/// continues that one's memory (`unsplit` is then free).
pub fn push_segment<S>(segments: &mut S, piece: BytesMut)
where
    S: std::ops::DerefMut<Target = [BytesMut]> + Extend<BytesMut>,
{
    if piece.is_empty() {
        return;
    }
    match segments.last_mut() {
        Some(last) if last.as_ptr().wrapping_add(last.len()) == piece.as_ptr() => {
            last.unsplit(piece)
        }
        _ => segments.extend(std::iter::once(piece)),
    }
}
