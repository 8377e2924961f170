import BackupCore
import BackupKit
import CLinux

// A fresh process's answer to "does a large block allocated after one of its size was freed get a
// mapping of its own?" (MallocPolicyProcessTests): a test process that has run other tests has
// free heap ranges large enough to serve such a block, so only a new process tells.
// Prints one word per block, 8 MiB (a part buffer) three times then 512 KiB three times:
// `mapped` or `heap`. `--no-policy` leaves glibc's dynamic threshold alone (the control).
if !CommandLine.arguments.contains("--no-policy") { MallocPolicy.apply() }
var words: [String] = []
for size in [8 << 20, 8 << 20, 8 << 20, 512 << 10, 512 << 10, 512 << 10] {
    let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    words.append(bd_malloc_is_mapped(block) != 0 ? "mapped" : "heap")
    block.deallocate()
}
print(words.joined(separator: " "))
