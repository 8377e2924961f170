import Foundation

extension BackupConfig {
    /// The configured job or destination name closest to a misspelt `name` (at most 2 edits), for
    /// a "did you mean" after an unknown name on the command line.
    public func suggestion(for name: String, includingDestinations: Bool = false) -> String? {
        Suggestion.closest(to: name, in: jobs.map(\.name) + (includingDestinations ? destinations.map(\.name) : []))
    }

    /// Writes a time of job `name` in that job's time zone with its offset (the top-level zone for
    /// a name no job has any more): the one rule every command's output follows.
    public func timeWriter(job name: String) -> (Date) -> String {
        let zone = job(named: name)?.timeZone ?? timeZone
        return { zone.iso8601($0) }
    }
}
