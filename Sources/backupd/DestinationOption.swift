import ArgumentParser
import BackupKit
import ConfigKit
import Foundation

/// `--destination NAME` for commands that read a job's backups (list, restore, verify): which of a
/// fan-out job's destinations to read.
struct DestinationOption: ParsableArguments {
    @Option(name: .customLong("destination"), help: ArgumentHelp("Read the backups at this destination of the job (default: the first that has the backup).", valueName: "NAME"))
    var name: String?

    /// `job` reading from the chosen destination (it becomes the job's first). Without `--destination`,
    /// the first destination for which `hasBackup` is true, else the job's first.
    func focus(_ job: JobConfig, hasBackup: (JobConfig) async -> Bool = { _ in true }) async throws -> JobConfig {
        if let name {
            guard job.destinations.contains(name) else {
                printError("job \(job.name) has no destination named \"\(name)\"; its destinations: \(job.destinations.joined(separator: ", "))")
                throw ExitCode.failure
            }
            return Self.job(job, at: name)
        }
        // The job's first is asked only once there is another destination to turn to, so a job
        // with one destination never lists for this.
        var firstAsked = false
        for name in job.destinations.dropFirst() {
            if !firstAsked {
                if await hasBackup(job) { return job }
                firstAsked = true
            }
            let candidate = Self.job(job, at: name)
            if await hasBackup(candidate) { return candidate }
        }
        return job
    }

    /// True when the job's first destination holds a complete backup matching `object` (any when nil).
    static func holds(_ object: String?, restorer: Restorer, job: JobConfig, config: BackupConfig) async -> Bool {
        guard let entries = try? await restorer.catalog(of: job, config: config).entries(includeIncomplete: false) else { return false }
        guard let object else { return entries.contains(where: \.isUsable) }
        return entries.contains { entry in
            entry.isUsable && (entry.id == object || entry.allKeys.contains { $0 == object || $0.hasSuffix("/" + object) })
        }
    }

    static func job(_ job: JobConfig, at name: String) -> JobConfig {
        var focused = job
        focused.destinations = [name] + job.destinations.filter { $0 != name }
        return focused
    }
}
