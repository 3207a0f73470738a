//! Turning a server's untrusted bytes into text that is safe to show.
//!
//! Poems are bytes; only the display needs text. [`Utf8Decoder`] decodes a
//! stream chunk by chunk, and [`sanitize`] makes the result harmless for a
//! terminal.

mod decoder;
mod sanitize;

pub use decoder::Utf8Decoder;
pub use sanitize::{Sanitized, Sanitizer, sanitize, sanitize_into};
