extension RunningProcess {
    /// Waits for the child on the `BlockingBridge` (no cooperative thread blocks in `waitpid`);
    /// cancelling the calling task kills the child's process group, so the wait ends at once.
    public func ended() async -> ProcessExit {
        await withTaskCancellationHandler {
            await BlockingBridge.shared.runToCompletion { self.wait() }
        } onCancel: {
            self.kill()
        }
    }
}

extension RunningProcess {
    /// Reads the child's standard output until the pipe closes, keeping the first `limit` bytes
    /// (the rest is read and dropped, so the child never blocks on a full pipe). Blocking: call it
    /// on the `BlockingBridge`.
    public func readAllOutput(limit: Int = 1 << 20) throws -> [UInt8] {
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try readOutput(into: $0) }
            if n == 0 { return output }
            if output.count < limit { output.append(contentsOf: buffer[..<n]) }
        }
    }
}
