//! Exit codes, as documented constants (those of diff(1)).
//!
//! Scripts and cron jobs branch on these, so they never change meaning.

/// Success; for `diff`: no differences.
pub const SUCCESS: i32 = 0;
/// `diff`: the versions differ.
pub const DIFFERENCES: i32 = 1;
/// Trouble: bad input, a missing store, an I/O error. The message says what.
pub const TROUBLE: i32 = 2;
