extension BackupConfig {
    /// The configured job or destination name closest to a misspelt `name` (at most 2 edits), for
    /// a "did you mean" after an unknown name on the command line.
    public func suggestion(for name: String, includingDestinations: Bool = false) -> String? {
        Suggestion.closest(to: name, in: jobs.map(\.name) + (includingDestinations ? destinations.map(\.name) : []))
    }
}
