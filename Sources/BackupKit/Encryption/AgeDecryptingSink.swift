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
        let sink = UncheckedSink(downstream)
        BlockingBridge.shared.detach {
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            do {
                while true {
                    let n = try buffer.withUnsafeMutableBytes { try process.readOutput(into: $0) }
                    if n == 0 { break }
                    try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
                }
            } catch {
                reader.error.withLock { $0 = error }
                process.kill()
            }
            reader.done.signal()
        }
    }

    /// Writes downloaded ciphertext; throws when age or the downstream already failed.
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
    public func finish() throws {
        process.closeInput()
        reader.done.wait()
        reader.done.signal()
        let exit = process.wait()
        if let error = reader.error.withLock({ $0 }), !(error is ProcessError) { throw error }
        guard exit.succeeded else {
            throw EncryptionError.decryptFailed(key: key, exit: "\(exit)", stderr: process.stderrTail())
        }
        if let error = reader.error.withLock({ $0 }) { throw error }
    }

    /// Stops age (the download failed).
    public func abort() {
        process.kill()
        process.closeInput()
        reader.done.wait()
        reader.done.signal()
        _ = process.wait()
    }
}

/// The reader's error and its end. (`finish` is synchronous until the restore path is async: it
/// then awaits the reader through the bridge instead of this semaphore.)
private final class ReaderState: Sendable {
    let error = Mutex<(any Error)?>(nil)
    let done = DispatchSemaphore(value: 0)
}

/// The downstream closure, called only by the reader while the caller waits in `finish`
/// or writes input (the restorer's counters it updates are read only after `finish`).
private final class UncheckedSink: @unchecked Sendable {  // unchecked: the closure is not Sendable; only the reader calls it
    let write: (UnsafeRawBufferPointer) throws -> Void
    init(_ write: @escaping (UnsafeRawBufferPointer) throws -> Void) { self.write = write }
}
