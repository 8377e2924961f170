import BackupCore
import ConfigKit
import Foundation
import Glibc
import Synchronization

/// Decrypts a downloaded stream with `age -d -i FILE` as it arrives: chunks are written into
/// age's standard input, and a job on the `BlockingBridge` hands age's output to `downstream`
/// (the decompressor and the restore tool). The identity stays in its file: only its path is in argv.
public final class AgeDecryptingSink {
    private let process: any RunningProcess
    private let key: String
    private let reader = ReaderState()

    /// The argv that decrypts with the identity file at `identity`.
    public static func argv(identity: String) -> [String] {
        [AgeEncryptionSource.program, "-d", "-i", identity]
    }

    /// Starts age for `key`, feeding its output to `downstream` (called on a bridge thread, one
    /// call at a time, and never after `finish` returned).
    public init(
        identity: String, key: String, launcher: any ProcessLauncher, environment: [String: String],
        downstream: @escaping (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        // A regular, readable file of a secret's size: age reading a FIFO or a device would hang or never end.
        do {
            try RegularFileReader.check(identity, limit: ConfigSources.maxSecretFileSize)
        } catch {
            throw EncryptionError.identityUnreadable(path: identity, reason: error.reason)
        }
        do {
            process = try launcher.launch(ProcessSpec(argv: Self.argv(identity: identity), environment: environment, input: .pipe))
        } catch ProcessError.notFound(_, let path) {
            throw EncryptionError.decryptToolMissing(key: key, path: path)
        }
        self.key = key
        let process = self.process
        let reader = self.reader
        // Lent to the reader, which alone calls it, while the caller waits in `finish` or writes
        // input (the restorer's counters it updates are read only after `finish`).
        let sink = BlockingBridge.Handoff(downstream)
        BlockingBridge.shared.detach {
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            do {
                while true {
                    let n = try buffer.withUnsafeMutableBytes { try process.readOutput(into: $0) }
                    if n == 0 { break }
                    try buffer.withUnsafeBytes { try sink.value(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
                }
            } catch {
                reader.error.withLock { $0 = error }
                process.kill()
            }
            reader.done.finish()
        }
    }

    /// age's process, for a caller that must stop it from a cancellation handler.
    var running: any RunningProcess { process }

    /// Writes downloaded ciphertext (on a bridge thread: it blocks); throws when age or the
    /// downstream already failed.
    public func write(_ chunk: UnsafeRawBufferPointer) throws {
        if let error = reader.error.withLock({ $0 }) { throw error }
        do {
            try process.writeInput(chunk)
        } catch {
            try finish()
            throw error
        }
    }

    /// Ends the input and waits for age and the downstream; throws what went wrong.
    public func finish() async throws {
        process.closeInput()
        await reader.done.wait()
        try conclude(await process.ended())
    }

    /// `finish()` for synchronous callers, which block their thread (never a cooperative one).
    public func finish() throws {
        process.closeInput()
        reader.done.waitBlocking()
        try conclude(process.wait())
    }

    /// Stops age (the download failed).
    public func abort() async {
        process.kill()
        process.closeInput()
        await reader.done.wait()
        _ = await process.ended()
    }

    /// `abort()` for synchronous callers, which block their thread (never a cooperative one).
    public func abort() {
        process.kill()
        process.closeInput()
        reader.done.waitBlocking()
        _ = process.wait()
    }

    /// Throws what went wrong once age ended with `exit` and the reader with it.
    private func conclude(_ exit: ProcessExit) throws {
        if let error = reader.error.withLock({ $0 }), !(error is ProcessError) { throw error }
        guard exit.succeeded else {
            throw EncryptionError.decryptFailed(key: key, exit: "\(exit)", stderr: process.stderrTail())
        }
        if let error = reader.error.withLock({ $0 }) { throw error }
    }
}

/// The reader's error and its end, which `finish` and `abort` await.
private final class ReaderState: Sendable {
    let error = Mutex<(any Error)?>(nil)
    let done = BlockingBridge.Completion()
}
