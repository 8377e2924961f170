import BackupCore
import ConfigKit
import Foundation
import Logging

/// `backupd fleet`: every job of the config as the bucket shows it, and the jobs it could not read.
public struct FleetReport: Sendable {
    /// The jobs read, in the config's order.
    public var statuses: [FleetJobStatus]
    /// One line per job whose bucket could not be read, in the config's order.
    public var unreadable: [String]

    /// Reads every job of `config` with `reader` (the live S3 stores when nil), each at `clock`'s now.
    public static func read(config: BackupConfig, reader: FleetReader? = nil, clock: any WallClock = SystemWallClock(), logger: Logger) async -> FleetReport {
        let reader = reader ?? FleetReader(stores: S3StoreProvider(logger: logger))
        var report = FleetReport(statuses: [], unreadable: [])
        for job in config.jobs {
            do {
                report.statuses.append(try await reader.status(of: job, config: config, now: clock.now()))
            } catch {
                report.unreadable.append("cannot read job \(job.name) from its bucket: \(error)")
            }
        }
        return report
    }

    /// Every job read is ok.
    public var allOK: Bool { statuses.allSatisfy(\.isOK) }
}
