//! Fuzz target. The diff: two documents built from the bytes, diffed, and the diff
//! rendered as terminal text (plain and coloured), stat, HTML, Markdown and JSON.
//! Run it with `scripts/fuzz.sh diff`; see docs/fuzzing.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| redline_fuzz::checks::diff(data));
