/// A started child process in its own process group.
///
/// `readOutput` and `writeInput` block; `kill` may be called from any thread at any time (a
/// timeout, a cancellation, a failed upload).
public protocol RunningProcess: AnyObject, Sendable {
    /// The child's process id (also its process group id).
    var pid: Int32 { get }

    /// Reads up to `buffer.count` bytes of the child's standard output; 0 at end of file.
    func readOutput(into buffer: UnsafeMutableRawBufferPointer) throws -> Int

    /// Writes all of `bytes` to the child's standard input; throws when the child closed it.
    func writeInput(_ bytes: UnsafeRawBufferPointer) throws

    /// Closes the child's standard input, so that it sees end of file.
    func closeInput()

    /// Sends SIGKILL to the child's whole process group (nothing once it has been reaped).
    func kill()

    /// Waits for the child to end and returns how it ended (the same value on later calls).
    func wait() -> ProcessExit

    /// The last bytes the child wrote to standard error (at most `StderrTail.capacity`), as text.
    func stderrTail() -> String
}
