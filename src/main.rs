//! The `redline` binary: hands off to the library and exits with its code.

fn main() {
    std::process::exit(redline::cli::run());
}
