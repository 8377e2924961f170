import BackupHistory

extension RunOutcome {
    /// The destinations that hold this run's backup: its stored lanes, in the job's order.
    public var storedDestinations: [String] {
        destinations.filter { $0.status == .succeeded }.map(\.destination)
    }
}
