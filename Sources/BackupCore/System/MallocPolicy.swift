import CLinux

/// The daemon's one allocator setting: blocks of `mmapThreshold` bytes or more always get a mapping
/// of their own, which `free` gives back to the system.
///
/// glibc raises its mmap threshold to the size of each large block freed (up to 32 MiB), so from
/// the first run on, every run's 8 MiB part buffers, zstd context and libcurl upload buffer were
/// carved from the heap of whichever of the up to 16 arenas (8 per core) the run's threads drew.
/// Small allocations then settled in those freed ranges and freed heap pages are not returned, so
/// each run touched a few more: 16 arenas held 424 MB of heap and RSS grew about 10 KB a run.
/// Fixing the threshold (which also stops its growth) keeps the heaps at a few MiB in all.
/// Measured with `bench/soak.sh`; see the README's Development section.
public enum MallocPolicy {
    /// glibc's own default threshold, kept fixed.
    public static let mmapThreshold = 128 * 1024

    /// Fixes the threshold for the whole process; call once at start, before the first run.
    public static func apply() {
        _ = bd_malloc_fix_mmap_threshold(Int32(mmapThreshold))
    }
}
