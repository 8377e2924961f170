import BackupCore
import Foundation
import Synchronization

/// A pipeline stage that encrypts a stream with the `age` program: a job on the `BlockingBridge`
/// pumps the upstream (compressed) bytes into age's standard input while the consumer reads the
/// ciphertext from its standard output. Memory stays bounded (one chunk plus the pipes); nothing
/// touches disk. The stream ends cleanly only when both the upstream and age ended cleanly, so a
/// dying dump or a dying age makes the upload abort.
public final class AgeEncryptionSource: ByteSource {
    private let upstream: any ByteSource
    private let process: any RunningProcess
    private let job: String
    private let pump = PumpState()
    private var ended = false

    /// The program name looked up on PATH.
    public static let program = "age"

    /// The argv that encrypts to `recipients` (public keys, so argv is a fine place for them).
    public static func argv(recipients: [String]) -> [String] {
        [program] + recipients.flatMap { ["-r", $0] }
    }

    /// Starts age for `recipients`; throws `EncryptionError` when it cannot run.
    public static func launch(recipients: [String], job: String, launcher: any ProcessLauncher, environment: [String: String]) throws -> any RunningProcess {
        do {
            return try launcher.launch(ProcessSpec(argv: argv(recipients: recipients), environment: environment, input: .pipe))
        } catch ProcessError.notFound(_, let path) {
            throw EncryptionError.toolMissing(job: job, path: path)
        } catch {
            throw EncryptionError.cannotStart(job: job, detail: "\(error)")
        }
    }

    /// Encrypts `upstream` through the running `process` (from `launch`).
    public init(_ upstream: any ByteSource, process: any RunningProcess, job: String, chunkSize: Int = 1 << 20) {
        self.upstream = upstream
        self.process = process
        self.job = job
        let pump = self.pump
        // Lent to the pump, which alone reads it from then on.
        let box = BlockingBridge.Handoff(upstream)
        // `stop()` kills age, which ends a blocked write into its input.
        BlockingBridge.shared.detach {
            var buffer = [UInt8](repeating: 0, count: chunkSize)
            do {
                while true {
                    let n = try buffer.withUnsafeMutableBytes { try box.value.read(into: $0) }
                    if n == 0 { break }
                    try buffer.withUnsafeBytes { try process.writeInput(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
                }
                // Recorded before age can see the end of its input, so `read` never waits for it.
                pump.finish(nil)
                process.closeInput()
            } catch {
                // Recorded before age is killed, so `read` knows it when age's output ends.
                pump.finish(error)
                // Without end of input age never writes its final chunk: kill it so the
                // ciphertext stays visibly incomplete and the consumer sees the failure.
                process.kill()
                process.closeInput()
            }
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !ended else { return 0 }
        let n = try process.readOutput(into: buffer)
        if n > 0 { return n }
        ended = true
        let exit = process.wait()
        // The pump records an upstream failure before it kills age, so it is known by now. The
        // upstream's own failure (the dump tool died) explains the most; age dying comes second.
        if !exit.succeeded {
            if let upstreamError = pump.error.withLock({ $0 }), !(upstreamError is ProcessError) { throw upstreamError }
            // The pump may still be blocked on the upstream: the caller stops the dump, which frees it.
            throw EncryptionError.stageFailed(job: job, exit: "\(exit)", stderr: process.stderrTail())
        }
        // A clean exit means age saw the end of its input, which the pump gave only after
        // recording how the upstream ended.
        if let upstreamError = pump.error.withLock({ $0 }) { throw upstreamError }
        return 0
    }

    /// Kills age (an upload failed or was cancelled), which also unblocks the pump.
    public func stop() {
        process.kill()
        process.closeInput()
    }
}

/// What the pump reports: its error, set before age can end.
private final class PumpState: Sendable {
    let error = Mutex<(any Error)?>(nil)

    func finish(_ failure: (any Error)?) { error.withLock { $0 = failure } }
}
