import ConfigKit
import Logging

extension Pruner {
    /// One destination's prune: its report, or why nothing was deleted there.
    public struct DestinationPrune: Sendable {
        /// The destination's name.
        public var destination: String
        /// The job at that destination alone, with the retention that applies there.
        public var job: JobConfig
        /// The report, or the error that stopped this destination's prune.
        public var result: Result<PruneReport, PruneError>
    }

    /// Prunes each of `names` (default: every destination of the job), one after another, each
    /// with `job.retention(for:)`; a destination whose prune fails does not stop the others.
    /// With `skipWithoutPolicy`, a destination where no retention applies is left alone.
    public func pruneDestinations(
        job: JobConfig, config: BackupConfig, only names: [String]? = nil, skipWithoutPolicy: Bool = false, dryRun: Bool, logger: Logger
    ) async -> [DestinationPrune] {
        var prunes: [DestinationPrune] = []
        for name in names ?? job.destinations {
            let focused = job.only(destination: name)
            if skipWithoutPolicy, focused.retention == nil { continue }
            var log = logger
            log[metadataKey: "s3.destination"] = "\(name)"
            let result: Result<PruneReport, PruneError>
            do {
                result = .success(try await prune(job: focused, config: config, dryRun: dryRun, logger: log))
            } catch {
                result = .failure(error)
            }
            prunes.append(DestinationPrune(destination: name, job: focused, result: result))
        }
        return prunes
    }
}
