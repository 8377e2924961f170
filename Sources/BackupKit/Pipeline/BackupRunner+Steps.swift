import Logging

extension BackupRunner {
    /// What one dump stored.
    struct StepResult {
        var step: DumpStep
        /// The first destination's receipt (the same stream, so the same size and digest, everywhere).
        var receipt: StreamReceipt
        /// Every destination's receipt, by destination name.
        var receipts: [String: StreamReceipt]
        var bytesRead: Int64
        var exit: ProcessExit
        var stderr: String
        /// A base backup's start and stop (PITR jobs).
        var baseBackup: BaseBackupInfo? = nil
    }

    /// A step that failed, with what is known of the tool.
    struct StepFailure: Error {
        var error: String
        var exit: ProcessExit?
        var stderr: String
        var interrupted: Bool
        var bytesRead: Int64
        /// The tool's output failed its format check (`DumpCheckError`).
        var checkFailed = false
    }

    /// Deletes (best effort) the objects earlier steps of a run stored at each destination, when a
    /// later step's dump failed its format check: the run writes no manifest, so they would only be
    /// billed until prune removed them as incomplete. Returns the note for the run's error.
    func removeStored(_ results: [StepResult], lanes: [Lane], logger: Logger) -> String {
        var left: [String] = []
        for lane in lanes {
            guard let store = lane.store else { continue }
            let keys = results.flatMap { $0.receipts[lane.destination.name]?.segments.map(\.key) ?? [] }
            guard !keys.isEmpty else { continue }
            do {
                try store.delete(keys: keys)
            } catch {
                logger.info("cannot delete the objects of a failed run", metadata: ["s3.destination": "\(lane.destination.name)", "s3.error": "\(error)"])
                left += keys
            }
        }
        let stored = results.map(\.receipt.key).joined(separator: ", ")
        return left.isEmpty
            ? " (\(stored), stored by an earlier step, was deleted)"
            : " (\(left.joined(separator: ", ")) could not be deleted; prune removes it as incomplete)"
    }
}
