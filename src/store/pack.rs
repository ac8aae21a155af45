//! Pack files, written directly: the format git uses to store many objects
//! in one file.
//!
//! A batch records many versions; written one file per object, each version
//! costs seven file creations, which dominates a nightly run. The batch
//! instead keeps its new objects in memory and hands them here to be written
//! as one pack (format version 2, no deltas: `git gc` finds those later).
//! This module only encodes bytes; `git.rs` feeds the result to libgit2's
//! indexer, which checks every object and writes the index beside it.

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;
use sha1::{Digest, Sha1};

/// Pack object types (the subset redline writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackKind {
    Commit = 1,
    Tree = 2,
    Blob = 3,
}

/// Encodes `objects` as a version 2 pack: header, each object as a type and
/// size header followed by its zlib-compressed content, then the SHA-1 of
/// everything before.
pub fn encode(objects: &[(PackKind, &[u8])]) -> std::io::Result<Vec<u8>> {
    let total: usize = objects.iter().map(|(_, data)| data.len()).sum();
    let mut out = Vec::with_capacity(total / 2 + 64);
    out.extend_from_slice(b"PACK");
    out.extend_from_slice(&2u32.to_be_bytes());
    let count = u32::try_from(objects.len())
        .map_err(|_| std::io::Error::other("too many objects for one pack"))?;
    out.extend_from_slice(&count.to_be_bytes());
    for (kind, data) in objects {
        write_header(&mut out, *kind, data.len());
        // Fast compression: the batch's time matters more than pack size,
        // and `git gc` repacks later.
        let mut z = ZlibEncoder::new(&mut out, Compression::fast());
        z.write_all(data)?;
        z.finish()?;
    }
    let digest = Sha1::digest(&out);
    out.extend_from_slice(&digest);
    Ok(out)
}

/// Object header: type in bits 4-6 of the first byte, size in the low four
/// bits and then seven bits per byte, little end first; the high bit says
/// another byte follows.
fn write_header(out: &mut Vec<u8>, kind: PackKind, size: usize) {
    let mut size = size as u64;
    let mut byte = ((kind as u8) << 4) | (size & 0x0f) as u8;
    size >>= 4;
    while size > 0 {
        out.push(byte | 0x80);
        byte = (size & 0x7f) as u8;
        size >>= 7;
    }
    out.push(byte);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_encode_type_and_size() {
        let mut out = Vec::new();
        write_header(&mut out, PackKind::Blob, 5);
        assert_eq!(out, [0x35]);
        out.clear();
        write_header(&mut out, PackKind::Commit, 0x1234);
        // 0x1234 = low nibble 4, then 0x123 >> 0 in 7-bit groups: 0x23, 0x02.
        assert_eq!(out, [0x80 | 0x10 | 0x4, 0x80 | 0x23, 0x02]);
    }

    #[test]
    fn a_pack_has_header_count_and_trailer() {
        let pack = encode(&[(PackKind::Blob, b"hello".as_slice())]).unwrap();
        assert_eq!(&pack[..4], b"PACK");
        assert_eq!(&pack[4..12], &[0, 0, 0, 2, 0, 0, 0, 1]);
        let (body, trailer) = pack.split_at(pack.len() - 20);
        assert_eq!(trailer, Sha1::digest(body).as_slice());
    }
}
