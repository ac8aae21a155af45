//! redline's fuzz targets, shared code: [`checks`] holds what each target
//! does with one input, so the targets in `fuzz_targets/` stay one line and
//! the regression test in `tests/integration/fuzz_regressions.rs` runs the
//! very same code on saved inputs.

pub mod checks;
