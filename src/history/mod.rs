//! History questions answered over a sequence of versions: pure functions of
//! the documents handed in, no I/O (the command layer reads the store).
//!
//! - [`blame`]: for every block of a version, since when it has said what it
//!   says, when it (through its edits and moves) first appeared, and when it
//!   was last edited — "since when has this sentence said this?".
//!
//! It exists apart from `diff` because it is a question about many versions,
//! answered by chaining the diff engine's answers for each consecutive pair.

pub mod blame;
