/// One direction of a streaming (de)compressor: consumes input, produces output, both in
/// caller-owned buffers, so the pipeline never holds more than one chunk of each.
public protocol StreamCodec: AnyObject {
    /// Consumes from `input` and writes into `output`. With `finish`, `input` is the last input
    /// and the codec flushes; `done` is true once everything has been written out.
    func process(
        input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer, finish: Bool
    ) throws -> (consumed: Int, produced: Int, done: Bool)
}

/// Why compressing or decompressing failed.
public enum CodecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The library refused its settings or ran out of memory.
    case setup(codec: String, detail: String)
    /// The library reported an error on the stream.
    case stream(codec: String, detail: String)
    /// The compressed input ended before its last frame was complete.
    case truncated(codec: String)

    public var description: String {
        switch self {
        case .setup(let codec, let detail): return "cannot set up \(codec): \(detail)"
        case .stream(let codec, let detail): return "\(codec) stream error: \(detail) (is the object corrupt or not \(codec)-compressed?)"
        case .truncated(let codec): return "the \(codec) stream ends early: the object is truncated"
        }
    }
}
