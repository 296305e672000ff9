//! What each fuzz target checks, for one input. Shared: the fuzz targets in `fuzz_targets/` and
//! `tests/fuzz_regressions.rs` (which replays the committed corpus in plain `cargo test`) both
//! include this folder with `#[path]`, so the crate grows no fuzz-only API.
//!
//! Every check takes arbitrary bytes and panics (a failed `assert!`) only when the code under
//! test broke a rule: a panic inside the crate, an accepted forged token, a path outside the
//! module's folders, a value that does not survive its own round trip.

pub mod action_token;
pub mod api_decode;
pub mod datastore_value;
pub mod view_path;

/// A little reader over the input for the structured checks: bytes, then zeros once it runs out.
pub(crate) struct Bytes<'a>(pub &'a [u8]);

impl<'a> Bytes<'a> {
    pub fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((first, rest)) => {
                self.0 = rest;
                *first
            }
            None => 0,
        }
    }

    pub fn u64(&mut self) -> u64 {
        let mut value = [0u8; 8];
        value.iter_mut().for_each(|b| *b = self.byte());
        u64::from_le_bytes(value)
    }

    /// Up to `max` bytes.
    pub fn take(&mut self, max: usize) -> &'a [u8] {
        let (taken, rest) = self.0.split_at(max.min(self.0.len()));
        self.0 = rest;
        taken
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
