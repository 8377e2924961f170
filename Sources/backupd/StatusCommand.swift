import ArgumentParser
import BackupKit
import ConfigKit
import Foundation

/// `backupd status`: each job's last result, last success, next run and verdict, for people and
/// for monitoring (the exit status says whether every job is ok).
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show each job's last result, last success, next run, and whether it is ok.",
        discussion: """
            A job is ok when its newest attempt succeeded and that backup is recent enough for its schedule \
            (stale once the second slot after it plus the job's timeout has passed). Exit status: 0 when every \
            enabled job is ok (or running), 1 when any is not (failed, interrupted, never succeeded, overdue, \
            suspicious: a stored backup far smaller than its peers that nobody acknowledged with `backupd ack`, or \
            verification-failed: the newest verification that ran found a stored backup damaged, until a later one passes; \
            a verification that could not run, e.g. without pg_restore, does not count), \
            2 when the config or the history cannot be read. Needs no secrets.
            """)

    /// Every enabled job is ok.
    static let allOK: Int32 = 0
    /// At least one enabled job is not ok.
    static let someJobNotOK: Int32 = 1
    /// The config or the history cannot be read.
    static let cannotRead: Int32 = 2

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Print JSON (docs/json.md); the exit status is the same.")
    var json = false

    func run() throws {
        let config: BackupConfig
        do {
            config = try options.loadConfig(secrets: .none)
        } catch {
            throw ExitCode(Self.cannotRead)
        }
        let report: JobStatusReport
        do {
            report = try JobStatusReport.read(config: config, now: Date())
        } catch {
            printError(error.description)
            throw ExitCode(Self.cannotRead)
        }
        if let note = report.note { printError(note) }
        if json {
            print(report.json, terminator: "")
        } else {
            print(report.table(config: config, width: terminalWidth()), terminator: "")
        }
        if !report.allOK { throw ExitCode(Self.someJobNotOK) }
    }
}
