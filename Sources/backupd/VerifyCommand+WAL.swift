import ArgumentParser
import BackupKit
import ConfigKit
import Foundation

extension VerifyCommand {
    /// A PITR job's WAL chain from each base backup's start to the newest archived segment;
    /// prints one line per base backup and returns false when a WAL file is missing.
    func verifyWALChain(job: JobConfig, verification: JobVerification) async -> Bool {
        let results: [WALChain.Result]
        do {
            guard let checked = try await verification.walChain(of: job, logger: commandLogger(verbose: verbose)) else { return true }
            results = checked
        } catch {
            printError("WAL chain of \(job.name) could not be checked: \(error)")
            return false
        }
        guard !results.isEmpty else {
            printError("WAL chain of \(job.name): no base backup to check it from; take one with backupd run-now \(job.name)")
            return false
        }
        for result in results {
            let line = result.render { job.timeZone.iso8601($0) }
            // With --json stdout is the JSON document alone; the chain's lines go to stderr then.
            if result.isComplete && !json { print(line) } else { printError(line) }
        }
        return results.allSatisfy(\.isComplete)
    }
}
