//! Shards: a stable share of the tracked sources, so several machines can
//! split one store's sources between them (`redline snapshot --shard K/N`)
//! and push to one remote without ever recording the same source twice.
//!
//! A source's shard depends on its id alone: the first eight bytes of the
//! SHA-256 of the id, read as a big-endian number, modulo N. It does not
//! depend on Rust's (randomized) hasher, on the order of `redline.toml`, on
//! which other sources exist, on the machine or on the redline version, so
//! adding a source never moves the others and every machine agrees on who
//! owns what. Shards are numbered from 1 (`1/3`, `2/3`, `3/3`), as people
//! count machines.

use sha2::{Digest, Sha256};

/// Largest N accepted (more machines than this sharing one store is a typo).
pub const MAX_SHARDS: u32 = 1024;

/// Shard `index` of `count` (1 ≤ index ≤ count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u32,
    count: u32,
}

impl Shard {
    /// Shard `index` (from 1) of `count`.
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 || count > MAX_SHARDS {
            return Err(format!(
                "--shard {index}/{count}: N must be between 1 and {MAX_SHARDS} (the number of machines sharing the sources)"
            ));
        }
        if index == 0 || index > count {
            return Err(format!(
                "--shard {index}/{count}: K counts from 1 and must be at most N (1/{count} to {count}/{count})"
            ));
        }
        Ok(Shard { index, count })
    }

    /// Reads `K/N` as typed on the command line.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || {
            format!(
                "--shard {text:?} is not K/N (this machine's share K of N machines, counted from 1, for example --shard 2/3)"
            )
        };
        let (k, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let k: u32 = k.trim().parse().map_err(|_| bad())?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        Shard::new(k, n)
    }

    /// This shard's number, from 1.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// How many shards there are.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Whether the source `id` belongs to this shard.
    pub fn contains(&self, id: &str) -> bool {
        bucket(id, self.count) + 1 == self.index
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The 0-based bucket of `id` among `count` (> 0).
fn bucket(id: &str, count: u32) -> u32 {
    let digest = Sha256::digest(id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % u64::from(count)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("source-{i}.example")).collect()
    }

    #[test]
    fn shards_partition_the_sources() {
        let ids = ids(500);
        for n in 1..=7 {
            let shards: Vec<Shard> = (1..=n).map(|k| Shard::new(k, n).unwrap()).collect();
            for id in &ids {
                let owners = shards.iter().filter(|s| s.contains(id)).count();
                assert_eq!(owners, 1, "{id} is in {owners} of {n} shards");
            }
            // No shard is starved: each holds a fair share of 500 ids.
            for s in &shards {
                let size = ids.iter().filter(|id| s.contains(id)).count();
                let fair = 500 / n as usize;
                assert!(
                    size * 2 > fair && size < fair * 2,
                    "shard {s} holds {size} of 500"
                );
            }
        }
    }

    #[test]
    fn a_source_keeps_its_shard_whatever_else_is_tracked() {
        let shard = Shard::new(2, 3).unwrap();
        let alone: Vec<bool> = ids(50).iter().map(|id| shard.contains(id)).collect();
        let mut more = ids(50);
        more.extend((0..1000).map(|i| format!("other-{i}")));
        more.reverse();
        let among: Vec<bool> = ids(50).iter().map(|id| shard.contains(id)).collect();
        assert_eq!(alone, among);
    }

    /// The hash is part of the store's contract between machines (and
    /// between redline versions): these values must never change.
    #[test]
    fn the_hash_is_pinned() {
        // The first 8 bytes of SHA-256 of each id, from `printf ID | sha256sum`.
        let expected = |hex: &str, n: u64| (u64::from_str_radix(hex, 16).unwrap() % n) as u32;
        for n in [2, 3, 5, 7] {
            assert_eq!(bucket("a", n), expected("ca978112ca1bbdca", u64::from(n)));
            assert_eq!(
                bucket("inss-defense-treaty", n),
                expected("be09eaa31fe760f3", u64::from(n))
            );
        }
        assert_eq!(bucket("a", 1), 0);
    }

    #[test]
    fn bad_shards_are_refused_with_a_reason() {
        assert_eq!(Shard::parse("2/3").unwrap(), Shard::new(2, 3).unwrap());
        assert_eq!(Shard::parse(" 1 / 1 ").unwrap().to_string(), "1/1");
        for (text, says) in [
            ("0/3", "K counts from 1"),
            ("4/3", "at most N"),
            ("1/0", "between 1 and"),
            ("3", "is not K/N"),
            ("a/b", "is not K/N"),
            ("-1/3", "is not K/N"),
            ("1/99999", "between 1 and"),
        ] {
            let e = Shard::parse(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}
