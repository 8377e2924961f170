/// One part's worth of memory, allocated once and reused while the part size stays the same.
final class PartBuffer {
    let memory: UnsafeMutableRawBufferPointer

    init(capacity: Int) {
        memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(capacity, 1), alignment: 64)
    }

    var capacity: Int { memory.count }

    deinit { memory.deallocate() }
}
