import BackupCore
import BackupHistory
import ConfigKit
import Cron
import Foundation

/// `backupd history`: the recorded runs a query selects, newest first, with each run's lanes.
public struct HistoryListing: Sendable {
    /// The runs, newest first.
    public var runs: [RunRecord]
    /// Each run's destinations, by run id.
    public var destinations: [Int64: [DestinationOutcome]]

    /// Which runs to show.
    public typealias Query = HistoryQuery

    /// The query the command's options ask for: `status` a run status's name, `since` a duration
    /// back from `now` (7d, 12h) or an ISO 8601 time (without an offset: in `zone`). Throws a
    /// usage error naming the option, the value and what would be valid.
    public static func query(
        job: String?, status: String?, since: String?, limit: Int, zone: ZoneRules, now: Date
    ) throws(HistoryListingError) -> HistoryQuery {
        var query = HistoryQuery(job: job, limit: limit)
        if let status {
            guard let parsed = RunStatus(rawValue: status) else { throw .notAStatus(status) }
            query.status = parsed
        }
        if let since {
            if let duration = DurationText.parse(since) {
                query.since = now.addingTimeInterval(-Double(duration.components.seconds))
            } else if let instant = ISO8601Instant.parse(since, defaultZone: zone) {
                query.since = instant
            } else {
                throw .notATime(since)
            }
        }
        return query
    }

    /// The names of the run statuses, for the `--status` help.
    public static var statusNames: [String] { RunStatus.allCases.map(\.rawValue) }

    /// Whether the history records any run of `job` (false without a history). Throws
    /// `CommandHistoryError` when the history cannot be opened, the store's error when it cannot be read.
    public static func hasRuns(job: String, config: BackupConfig) throws -> Bool {
        guard CommandHistory.exists(config) else { return false }
        return try !CommandHistory.recorded(config).runs(HistoryQuery(job: job, limit: 1)).isEmpty
    }

    /// The runs `query` selects from the config's history (read-only; it must exist). Throws
    /// `CommandHistoryError` when it cannot be opened, the store's error when it cannot be read.
    public static func read(_ query: HistoryQuery, config: BackupConfig) throws -> HistoryListing {
        let store = try CommandHistory.recorded(config)
        let runs = try store.runs(query)
        return HistoryListing(runs: runs, destinations: try store.destinationResults(runIDs: runs.map(\.id)))
    }

    /// The JSON document (docs/json.md).
    public var json: String { HistoryRenderer.json(runs, destinations: destinations) }

    /// The table, each run's time in its job's zone, fitted to `width` columns when given.
    public func table(config: BackupConfig, width: Int?) -> String {
        TerminalFit.fit(HistoryRenderer.table(runs, destinations: destinations, zone: config.timeWriter(job:)), width: width)
    }
}

/// A `backupd history` option that does not parse; the description is the usage error.
public enum HistoryListingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `--status` is not a run status.
    case notAStatus(String)
    /// `--since` is neither a duration nor an ISO 8601 time.
    case notATime(String)

    /// The option, the value and what would be valid.
    public var description: String {
        switch self {
        case .notAStatus(let value):
            "--status \"\(value)\" is not a status; use one of \(HistoryListing.statusNames.joined(separator: ", "))"
        case .notATime(let value):
            "--since \"\(value)\" is neither a duration (7d, 12h, 90m) nor an ISO 8601 time (2026-11-01T00:00:00Z)"
        }
    }
}
