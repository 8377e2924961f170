import ArgumentParser
import BackupKit
import ConfigKit
import Foundation

/// `backupd fleet`: every job as its buckets show it to any host (claims and manifests, not this
/// host's history): newest backup, its host and destination, its objects, its age, slots no host backed up.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Show each job's newest backup from any host of the fleet, read from the bucket (claims and manifests).",
        discussion: """
            Reads every destination of each job (its claims in the first), not the local history, so every host shows the \
            same; the newest backup is the newest on any destination, and a slot is missed only when no destination has a \
            backup of it. A job is ok when its newest backup's objects are all listed with their sizes, it is recent enough for its schedule (stale once the \
            second slot after it plus the job's timeout has passed) and no slot of the last day (since the fleet first \
            wrote for the job) lacks a backup from every host. Exit status: 0 when every enabled job is ok, 1 when any is \
            not, 2 when the config or a bucket cannot be read. --prometheus prints \
            backupd_fleet_newest_backup_timestamp_seconds{backup_job=...} instead of the table (for a textfile collector).
            """)

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Print JSON; the exit status is the same.")
    var json = false

    @Flag(help: "Print Prometheus text (backupd_fleet_newest_backup_timestamp_seconds); the exit status is the same.")
    var prometheus = false

    func run() async throws {
        let config: BackupConfig
        do {
            config = try options.loadConfig(secrets: .destinations)
        } catch {
            throw ExitCode(StatusCommand.cannotRead)
        }
        let report = await FleetReport.read(config: config, logger: commandLogger(verbose: false))
        for line in report.unreadable { printError(line) }
        let iso = ISO8601DateFormatter()
        if prometheus {
            print(FleetJobStatus.metrics(report.statuses), terminator: "")
        } else if json {
            print(FleetJobStatus.json(report.statuses), terminator: "")
        } else {
            print(FleetJobStatus.table(report.statuses) { iso.string(from: $0) }, terminator: "")
        }
        if !report.unreadable.isEmpty { throw ExitCode(StatusCommand.cannotRead) }
        if !report.allOK { throw ExitCode(StatusCommand.someJobNotOK) }
    }
}
