//! How a one-shot command about to build large documents asks the C
//! allocator for its heap in one step, backed by huge pages.
//!
//! Why it exists: comparing two files of megabytes builds tens of thousands
//! of blocks and the engine's arrays, megabytes of small and medium
//! allocations. By default glibc grows its heap 128 KB at a time and the
//! kernel maps each 4 KB page on first touch; on a virtual machine every such
//! fault costs microseconds, and on the large benchmark pair they were about
//! 900 of the run's 1,260 faults. Asked here, the heap grows once, by about
//! what the command will need, and the kernel is advised to back it with
//! 2 MB pages (transparent huge pages, where the system allows them on
//! advice, as most distributions do). A page is still only taken when first
//! touched. `scripts/bench-large.sh` times it against `REDLINE_HUGE_HEAP=0`.
//!
//! This and `fetch/mapped.rs` are the only modules with `unsafe` code; here
//! it is calls into the C library that are advice to the allocator and the
//! kernel, which both may ignore, and that read or write no memory of
//! Rust's. With another C library or system, it does nothing.

/// Size of a huge page on x86-64 and most ARM systems (also what
/// `fetch` rounds a read file's memory up to).
pub(crate) const HUGE_PAGE: usize = 2 << 20;

/// What glibc keeps before each block it hands out, so a request this much
/// under a gap fills it exactly.
const CHUNK_HEADER: usize = 16;

/// The block that moves the heap's free top to a huge-page boundary is at
/// least this large (smaller ones may come from the allocator's free lists,
/// not from the top).
const MIN_GAP: usize = 64 * 1024;

/// The most the heap is grown by in one step (glibc takes the pad as a C
/// `int`).
const MAX_PAD: usize = 1 << 30;

/// Grows the heap in one step of about `expected` bytes (rounded up to whole
/// huge pages), advises huge pages for it, and keeps every thread on that
/// heap. Call it once, early in a command that ends soon after, before it
/// starts threads: the settings last until the process exits, and memory
/// freed is not given back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn grow_for(expected: usize) {
    let pad = expected
        .next_multiple_of(HUGE_PAGE)
        .clamp(HUGE_PAGE, MAX_PAD);
    let int = |n: usize| libc::c_int::try_from(n).unwrap_or(libc::c_int::MAX);
    // SAFETY: `mallopt` only changes the allocator's parameters (it takes the
    // allocator's lock); `sbrk(0)` only reads the program break; `mallinfo`
    // only reads the allocator's counts. The block taken is never written
    // to, and given back at once or never. `madvise` with MADV_HUGEPAGE only
    // marks the heap's
    // own memory as preferring huge pages: it changes no contents, and a
    // failure leaves things as they were.
    unsafe {
        // One heap for all threads: a thread's own arena is mapped apart,
        // out of reach of the advice below.
        libc::mallopt(libc::M_ARENA_MAX, 1);
        // Large blocks from the heap too, not from maps of their own.
        libc::mallopt(
            libc::M_MMAP_THRESHOLD,
            int(pad.clamp(2 * HUGE_PAGE, 32 << 20)),
        );
        // Grow by the pad at once, and never shrink.
        libc::mallopt(libc::M_TOP_PAD, int(pad));
        libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX);
        // Only whole, aligned huge pages can be huge, and only if nothing in
        // them was touched before the advice. The heap's free top runs from
        // `top` to the program break; a block from there up to the first
        // huge-page boundary past the break, taken now and never used, makes
        // the heap grow (by the block and the pad) and leaves the free top
        // starting on the boundary. Its memory is never touched, except the
        // allocator's headers at its two ends.
        let end = libc::sbrk(0) as usize;
        let free_top = usize::try_from(libc::mallinfo().keepcost).unwrap_or(0);
        if end == usize::MAX || free_top > end {
            return;
        }
        let top = end - free_top;
        let boundary = ((top + MIN_GAP).max(end) + 1).next_multiple_of(HUGE_PAGE);
        // (Through `black_box`: the compiler would drop an allocation that
        // is never used.)
        let (malloc, free) = std::hint::black_box((
            libc::malloc as unsafe extern "C" fn(usize) -> *mut libc::c_void,
            libc::free as unsafe extern "C" fn(*mut libc::c_void),
        ));
        let block = malloc(boundary - top - 2 * CHUNK_HEADER);
        let grown = libc::sbrk(0) as usize;
        if block as usize != top + CHUNK_HEADER || grown == usize::MAX || grown <= boundary {
            // Not where it was meant to be: of no use, so given back.
            free(block);
            return;
        }
        libc::madvise(
            boundary as *mut libc::c_void,
            grown - boundary,
            libc::MADV_HUGEPAGE,
        );
    }
}

/// Elsewhere the allocator is left as it is.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn grow_for(_expected: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heap_still_serves_and_frees_after_growing() {
        grow_for(8 << 20);
        // Small, medium and large blocks, written and read back, from two
        // threads at once (one heap for both now).
        let work = || {
            let mut kept = Vec::new();
            for size in [16, 1000, 100_000, 3 << 20] {
                let block: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
                assert!(block.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
                kept.push(block);
            }
            kept.iter().map(Vec::len).sum::<usize>()
        };
        let other = std::thread::spawn(work);
        assert_eq!(work(), other.join().unwrap());
    }
}
