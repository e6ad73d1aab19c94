//! Argon2id's working memory for the `file` keychain (19 MiB, `file::ARGON2_MEMORY_KIB`).
//!
//! Argon2 reads its memory in a data-dependent, scattered order. In 4 KiB pages that is
//! ~4,900 page faults to fill it and a TLB miss on most reads; the derivation took ~26 ms on
//! the bench machine. On Linux the memory is mapped on its own, aligned to 2 MiB and marked
//! for transparent huge pages (`MADV_HUGEPAGE`, which the default `madvise` mode honours):
//! ~270 faults and ~16 ms, for the same parameters and the same key (the KDF's cost to an
//! attacker is unchanged; only our page-table overhead goes). Where huge pages are off, or
//! none is free at once (the kernel then falls back to 4 KiB pages), or on other systems, it
//! is ordinary memory and costs what it did.
//!
//! The mapping is returned to the kernel as soon as the key is derived (`munmap`), so the
//! passphrase-derived blocks do not linger in the process; the kernel zeroes pages before
//! any other use.
use argon2::Block;

/// Memory for `count` Argon2 blocks.
pub enum KdfMemory {
    #[cfg(target_os = "linux")]
    Mapped(linux::Mapping),
    Heap(Vec<Block>),
}

impl KdfMemory {
    pub fn new(count: usize) -> KdfMemory {
        #[cfg(target_os = "linux")]
        if let Some(mapping) = linux::Mapping::new(count) {
            return KdfMemory::Mapped(mapping);
        }
        KdfMemory::Heap(vec![Block::default(); count])
    }

    pub fn blocks(&mut self) -> &mut [Block] {
        match self {
            #[cfg(target_os = "linux")]
            KdfMemory::Mapped(mapping) => mapping.blocks(),
            KdfMemory::Heap(blocks) => blocks,
        }
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use argon2::Block;

    /// Transparent huge pages are 2 MiB on x86-64 and (with 4 KiB base pages) on arm64.
    const HUGE_PAGE: usize = 2 << 20;

    /// An anonymous private mapping owned by this value, unmapped on drop.
    pub struct Mapping {
        base: *mut libc::c_void,
        len: usize,
        blocks: *mut Block,
        count: usize,
    }

    impl Mapping {
        /// `None` when the kernel refuses the mapping (the caller uses the heap).
        pub fn new(count: usize) -> Option<Mapping> {
            let size = count.checked_mul(std::mem::size_of::<Block>())?;
            // Room to start the blocks on a 2 MiB boundary; the slack is never touched, so
            // it is never backed by memory.
            let len = size.checked_add(HUGE_PAGE)?;
            // SAFETY: a fresh anonymous private mapping; no existing memory is affected.
            let base = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            if base == libc::MAP_FAILED {
                return None;
            }
            let aligned = (base as usize).next_multiple_of(HUGE_PAGE);
            let blocks = aligned as *mut Block;
            // SAFETY: [aligned, aligned + size) lies inside the mapping (aligned - base is
            // less than HUGE_PAGE). A refusal (THP compiled out) only leaves 4 KiB pages.
            unsafe { libc::madvise(aligned as *mut libc::c_void, size, libc::MADV_HUGEPAGE) };
            Some(Mapping {
                base,
                len,
                blocks,
                count,
            })
        }

        pub fn blocks(&mut self) -> &mut [Block] {
            // SAFETY: `blocks` is aligned to 2 MiB (more than `Block`'s 64 bytes), the
            // `count` blocks lie inside the mapping, which this value owns exclusively and
            // keeps alive for the borrow; anonymous mappings are zero-filled, and all-zero
            // bits are a valid `Block` (an array of u64).
            unsafe { std::slice::from_raw_parts_mut(self.blocks, self.count) }
        }
    }

    impl Drop for Mapping {
        fn drop(&mut self) {
            // SAFETY: exactly the mapping created in `new`, unmapped once; no borrow of it
            // outlives `self`.
            unsafe { libc::munmap(self.base, self.len) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::{Algorithm, Argon2, Params, Version};

    /// The key derived in this memory is the one the argon2 crate derives in its own (files
    /// written before keep opening), at the file keychain's parameters and a small set.
    #[test]
    fn derives_the_key_the_argon2_crate_derives() {
        for (memory_kib, passes) in [(super::super::file::ARGON2_MEMORY_KIB, 2), (64, 3)] {
            let params = Params::new(memory_kib, passes, 1, Some(32)).unwrap();
            let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
            let mut expected = [0u8; 32];
            argon2
                .hash_password_into(b"passphrase", b"0123456789abcdef", &mut expected)
                .unwrap();
            let mut memory = KdfMemory::new(params.block_count());
            #[cfg(target_os = "linux")]
            assert!(matches!(memory, KdfMemory::Mapped(_)));
            let mut ours = [0u8; 32];
            argon2
                .hash_password_into_with_memory(
                    b"passphrase",
                    b"0123456789abcdef",
                    &mut ours,
                    memory.blocks(),
                )
                .unwrap();
            assert_eq!(ours, expected);
        }
    }
}
