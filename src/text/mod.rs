//! Turning a server's untrusted bytes into text that is safe to show.
//!
//! Poems are kept as the bytes that arrived; only what is on screen becomes
//! text. [`display_line`] decodes one line (holding back a character whose
//! last bytes have not arrived yet), [`sanitize`] makes text harmless for a
//! terminal, and [`ControlCounter`] counts what it replaces as bytes arrive,
//! without decoding them.

mod controls;
mod sanitize;
mod wrap;

pub use controls::{ControlCounter, display_line};
pub use sanitize::{Sanitized, sanitize, sanitize_into};
pub use wrap::{screenful_bytes, visible_rows, wrap};
