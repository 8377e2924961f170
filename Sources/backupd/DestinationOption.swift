import ArgumentParser
import BackupKit
import ConfigKit
import Foundation

/// `--destination NAME` for commands that read a job's backups (list, restore, verify): which of a
/// fan-out job's destinations to read.
struct DestinationOption: ParsableArguments {
    @Option(name: .customLong("destination"), help: ArgumentHelp("Read the backups at this destination of the job (default: the first that has the backup).", valueName: "NAME"))
    var name: String?

    /// `job` reading from the chosen destination (it becomes the job's first); without
    /// `--destination`, the first that holds `object` (`JobBackups.focus`). An unknown name exits 1.
    func focus(_ job: JobConfig, in backups: JobBackups, holding object: String?) async throws -> JobConfig {
        do {
            return try await backups.focus(job, on: name, holding: object)
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
    }
}
