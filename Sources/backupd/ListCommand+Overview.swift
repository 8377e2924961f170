import ArgumentParser
import BackupKit
import Foundation

extension ListCommand {
    /// `backupd list` without a job: every job's newest backups at each of its destinations.
    func overview() async throws {
        let config = try options.loadConfig(secrets: .destinations)
        let backups = JobBackups(config: config, logger: commandLogger(verbose: false))
        let overview = await backups.overview(newest: newest, logger: commandLogger(verbose: false), warn: printError)
        if json {
            print(overview.json.text, terminator: "")
        } else {
            print(overview.table { config.timeZone.iso8601($0) }, terminator: "")
        }
        for section in overview.sections {
            if let error = section.error { printError("cannot list the backups of \(section.job) at \(section.destination): \(error)") }
        }
        if !overview.complete { throw ExitCode.failure }
    }
}
