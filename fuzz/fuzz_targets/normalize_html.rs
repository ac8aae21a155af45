//! Fuzz target. HTML captures: the first byte picks the HTTP charset, source URL and
//! profile choice, the rest is the page (decode, parse, extract, metadata).
//! Run it with `scripts/fuzz.sh normalize_html`; see docs/fuzzing.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| redline_fuzz::checks::normalize_html(data));
