//! The built binary links no system library but libc: libgit2 and zlib are
//! compiled in, nothing links OpenSSL (checked with `ldd`).

use std::process::Command;

/// The binary needs no system library beyond libc: libgit2 and zlib are
/// compiled in, and nothing links OpenSSL or libssh2.
#[test]
fn the_binary_links_no_system_library_but_libc() {
    let output = Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_redline"))
        .output();
    let Ok(output) = output else {
        panic!("ldd is needed to check the binary's dynamic libraries");
    };
    let libs = String::from_utf8_lossy(&output.stdout);
    for forbidden in [
        "libz.",
        "libgit2",
        "libssl",
        "libcrypto",
        "libssh2",
        "libcurl",
    ] {
        assert!(
            !libs.contains(forbidden),
            "the binary links {forbidden}:\n{libs}"
        );
    }
}
