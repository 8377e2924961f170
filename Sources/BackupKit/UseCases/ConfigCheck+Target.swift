import ConfigKit

extension ConfigCheck {
    /// What `backupd check [NAME]` checks.
    public enum Target: Sendable {
        /// No name: every destination of the config.
        case everyDestination
        /// A destination's name.
        case destination(DestinationConfig)
        /// A job's name (not a destination's): its database, then each of its destinations.
        case job(String)
        /// Neither; the message names the config at `path`, a likely meant name and the destinations.
        case unknown(message: String)
    }

    /// What `name` names in `config` (read from `path`); a destination wins over a job of the same name.
    public static func target(_ name: String?, in config: BackupConfig, path: String) -> Target {
        guard let name else { return .everyDestination }
        if let found = config.destination(named: name) { return .destination(found) }
        if config.job(named: name) != nil { return .job(name) }
        let known = config.destinations.map(\.name).joined(separator: ", ")
        let guess = config.suggestion(for: name, includingDestinations: true).map { "; did you mean \"\($0)\"?" } ?? ""
        return .unknown(message: "no destination or job named \"\(name)\" in \(path)\(guess); destinations: \(known.isEmpty ? "none" : known)")
    }

    /// The destinations of `job` that `config` defines, in the job's order.
    public static func destinations(of job: JobConfig, in config: BackupConfig) -> [DestinationConfig] {
        job.destinations.compactMap(config.destination(named:))
    }
}
