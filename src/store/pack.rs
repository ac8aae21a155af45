//! Pack files, written directly: the format git uses to store many objects
//! in one file.
//!
//! A batch records many versions; written one file per object, each version
//! costs seven file creations, which dominates a nightly run. The batch
//! instead keeps its new objects in memory and hands them here to be written
//! as one pack (format version 2, no deltas: `git gc` finds those later).
//! This module only encodes bytes: the pack, and its index (`.idx`, version
//! 2), which git and libgit2 need to find objects in a pack. Writing the
//! index here, from the ids and offsets the batch already knows, spares
//! libgit2's indexer inflating and hashing every object a second time;
//! `git.rs` writes both files.

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

/// A pack, encoded: its bytes and, for its index, where each object starts
/// and the CRC-32 of its packed bytes, in the order of the objects given.
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub offsets: Vec<u64>,
    pub crcs: Vec<u32>,
}

impl Encoded {
    /// The SHA-1 trailer of the pack, which also names its files.
    pub fn checksum(&self) -> &[u8] {
        &self.bytes[self.bytes.len() - 20..]
    }
}

/// Encodes `objects` as a version 2 pack: header, each object as a type and
/// size header followed by its zlib-compressed content, then the SHA-1 of
/// everything before.
pub fn encode(objects: &[(PackKind, &[u8])]) -> std::io::Result<Encoded> {
    let total: usize = objects.iter().map(|(_, data)| data.len()).sum();
    let mut out = Vec::with_capacity(total / 2 + 64);
    out.extend_from_slice(b"PACK");
    out.extend_from_slice(&2u32.to_be_bytes());
    let count = u32::try_from(objects.len())
        .map_err(|_| std::io::Error::other("too many objects for one pack"))?;
    out.extend_from_slice(&count.to_be_bytes());
    let mut offsets = Vec::with_capacity(objects.len());
    let mut crcs = Vec::with_capacity(objects.len());
    for (kind, data) in objects {
        let start = out.len();
        write_header(&mut out, *kind, data.len());
        // Fast compression: the batch's time matters more than pack size,
        // and `git gc` repacks later.
        let mut z = ZlibEncoder::new(&mut out, Compression::fast());
        z.write_all(data)?;
        z.finish()?;
        offsets.push(start as u64);
        crcs.push(crc32fast::hash(&out[start..]));
    }
    let digest = Sha1::digest(&out);
    out.extend_from_slice(&digest);
    Ok(Encoded {
        bytes: out,
        offsets,
        crcs,
    })
}

/// The version 2 index of `pack`, whose objects have the ids `ids` (in the
/// order they were encoded): magic and version, a fan-out table of counts
/// by first byte, the sorted ids, their CRC-32s, their offsets (31 bits, or
/// an index into a table of 64-bit offsets for packs past 2 GiB), the
/// pack's checksum, and the SHA-1 of all of that.
pub fn index(pack: &Encoded, ids: &[[u8; 20]]) -> Vec<u8> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_unstable_by_key(|&i| ids[i]);
    order.dedup_by_key(|i| ids[*i]);
    let mut out = Vec::with_capacity(8 + 256 * 4 + order.len() * 28 + 40);
    out.extend_from_slice(&[0xff, b't', b'O', b'c']);
    out.extend_from_slice(&2u32.to_be_bytes());
    let mut fanout = [0u32; 256];
    for &i in &order {
        fanout[usize::from(ids[i][0])] += 1;
    }
    let mut running = 0u32;
    for count in fanout {
        running += count;
        out.extend_from_slice(&running.to_be_bytes());
    }
    for &i in &order {
        out.extend_from_slice(&ids[i]);
    }
    for &i in &order {
        out.extend_from_slice(&pack.crcs[i].to_be_bytes());
    }
    let mut large = Vec::new();
    for &i in &order {
        let offset = pack.offsets[i];
        if offset < 0x8000_0000 {
            out.extend_from_slice(&(offset as u32).to_be_bytes());
        } else {
            out.extend_from_slice(&(0x8000_0000 | large.len() as u32).to_be_bytes());
            large.push(offset);
        }
    }
    for offset in large {
        out.extend_from_slice(&offset.to_be_bytes());
    }
    out.extend_from_slice(pack.checksum());
    let digest = Sha1::digest(&out);
    out.extend_from_slice(&digest);
    out
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
        let encoded = encode(&[(PackKind::Blob, b"hello".as_slice())]).unwrap();
        let pack = &encoded.bytes;
        assert_eq!(encoded.offsets, [12]);
        assert_eq!(encoded.crcs, [crc32fast::hash(&pack[12..pack.len() - 20])]);
        assert_eq!(&pack[..4], b"PACK");
        assert_eq!(&pack[4..12], &[0, 0, 0, 2, 0, 0, 0, 1]);
        let (body, trailer) = pack.split_at(pack.len() - 20);
        assert_eq!(trailer, Sha1::digest(body).as_slice());
    }

    /// The object id git gives `data` of `kind`.
    fn git_id(kind: &str, data: &[u8]) -> [u8; 20] {
        let mut h = Sha1::new();
        h.update(format!("{kind} {}\0", data.len()).as_bytes());
        h.update(data);
        h.finalize().into()
    }

    /// A pack and index written here are read by git itself: `git
    /// verify-pack` checks every object against the index (ids, offsets,
    /// CRCs, both checksums) and `git cat-file` reads them back.
    #[test]
    fn git_reads_the_pack_and_its_index() {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .arg("-C")
                .arg(dir.path())
                .args(args)
                .output()
                .expect("git runs");
            assert!(
                out.status.success(),
                "git {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        };
        git(&["init", "-q"]);
        let blobs: Vec<Vec<u8>> = (0..300)
            .map(|i| format!("blob {i}\n{}", "text ".repeat(i)).into_bytes())
            .collect();
        let objects: Vec<(PackKind, &[u8])> = blobs
            .iter()
            .map(|b| (PackKind::Blob, b.as_slice()))
            .collect();
        let ids: Vec<[u8; 20]> = blobs.iter().map(|b| git_id("blob", b)).collect();
        let encoded = encode(&objects).unwrap();
        let idx = index(&encoded, &ids);
        let name: String = encoded
            .checksum()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let packs = dir.path().join(".git/objects/pack");
        std::fs::write(packs.join(format!("pack-{name}.pack")), &encoded.bytes).unwrap();
        std::fs::write(packs.join(format!("pack-{name}.idx")), &idx).unwrap();
        let verify = git(&[
            "verify-pack",
            "-v",
            &format!(".git/objects/pack/pack-{name}.idx"),
        ]);
        let listed = String::from_utf8(verify).unwrap();
        assert!(listed.contains("non delta: 300 objects"), "{listed}");
        for (i, id) in ids.iter().enumerate().step_by(37) {
            let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(git(&["cat-file", "blob", &hex]), blobs[i]);
        }
    }

    #[test]
    fn offsets_past_two_gib_go_to_the_large_offset_table() {
        let pack = Encoded {
            bytes: vec![7; 32],
            offsets: vec![12, 0x1_0000_0000],
            crcs: vec![1, 2],
        };
        let idx = index(&pack, &[[2; 20], [1; 20]]);
        // Header 8, fan-out 1024, ids 40, CRCs 8, offsets 8, large 8, two checksums 40.
        assert_eq!(idx.len(), 8 + 1024 + 40 + 8 + 8 + 8 + 40);
        let offsets = &idx[8 + 1024 + 40 + 8..][..8];
        // Sorted by id: the second object (id 1...) first, with the large offset.
        assert_eq!(offsets, [0x80, 0, 0, 0, 0, 0, 0, 12]);
        assert_eq!(
            &idx[8 + 1024 + 40 + 16..][..8],
            &0x1_0000_0000u64.to_be_bytes()
        );
    }
}
