/// A pull-based stream of bytes. The consumer asks for bytes only when it has room for them,
/// which is the backpressure of the whole pipeline: a slow bucket slows the dump, it never grows memory.
///
/// Calls are blocking and come from one thread at a time.
public protocol ByteSource: AnyObject {
    /// Fills `buffer` with up to `buffer.count` bytes and returns how many were written;
    /// returns 0 only at the end of the stream. Throws when the producer failed, after which
    /// the consumer must abandon what it built (for an upload: abort it).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}
