import BackupHistory

/// Which history run a backup belongs to, for its manifest.
public struct RunIdentity: Sendable, Hashable {
    /// The history row's id.
    public var runID: Int64
    /// Why it started.
    public var trigger: RunTrigger

    /// Names a run.
    public init(runID: Int64, trigger: RunTrigger) {
        self.runID = runID
        self.trigger = trigger
    }
}
