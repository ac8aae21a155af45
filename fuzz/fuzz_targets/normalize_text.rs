//! Fuzz target. Text captures: the bytes are a page rendered to text, normalized with the
//! generic and the INSS profile; the document must be well formed.
//! Run it with `scripts/fuzz.sh normalize_text`; see docs/fuzzing.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| redline_fuzz::checks::normalize_text(data));
