/// One part's worth of memory, allocated once and reused while the part size stays the same.
final class PartBuffer: @unchecked Sendable {  // unchecked: raw memory lent to one task at a time (filled on the bridge, then sent)
    let memory: UnsafeMutableRawBufferPointer

    init(capacity: Int) {
        memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(capacity, 1), alignment: 64)
    }

    var capacity: Int { memory.count }

    deinit { memory.deallocate() }
}
