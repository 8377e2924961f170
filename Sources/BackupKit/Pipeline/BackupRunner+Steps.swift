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
    }

    /// A step that failed, with what is known of the tool.
    struct StepFailure: Error {
        var error: String
        var exit: ProcessExit?
        var stderr: String
        var interrupted: Bool
        var bytesRead: Int64
    }
}
