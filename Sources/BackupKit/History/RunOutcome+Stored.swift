extension RunOutcome {
    /// The destinations that stored this run's backup: those that succeeded in a fan-out run, or
    /// the job's one destination when the outcome has no per-destination results.
    public func storedDestinations(job: JobConfig) -> [String] {
        destinations.isEmpty ? [job.destination] : destinations.filter { $0.status == .succeeded }.map(\.destination)
    }
}
