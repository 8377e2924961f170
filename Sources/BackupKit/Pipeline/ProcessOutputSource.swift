import BackupCore
import Synchronization

/// The standard output of a dump tool as a `ByteSource`. At end of file it waits for the tool:
/// a non-zero exit or a signal (a kill by timeout or cancellation) throws, so an upload fed by
/// it aborts instead of storing a truncated backup.
public final class ProcessOutputSource: ByteSource {
    private let process: any RunningProcess
    private let counter = Atomic<Int64>(0)
    private var exit: ProcessExit?

    /// Reads `process`'s standard output.
    public init(_ process: any RunningProcess) {
        self.process = process
    }

    /// Bytes read from the tool so far.
    public var bytesRead: Int64 { counter.load(ordering: .relaxed) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let exit {
            if exit.succeeded { return 0 }
            throw ToolExitError(exit: exit)
        }
        let n = try process.readOutput(into: buffer)
        if n > 0 {
            counter.add(Int64(n), ordering: .relaxed)
            return n
        }
        let ended = process.wait()
        exit = ended
        guard ended.succeeded else { throw ToolExitError(exit: ended) }
        return 0
    }
}

/// The dump tool ended badly; the runner turns this into a message naming the job and the tool.
public struct ToolExitError: Error, Sendable, Hashable, CustomStringConvertible {
    /// How it ended.
    public var exit: ProcessExit

    public var description: String { "the dump tool ended with \(exit)" }
}
