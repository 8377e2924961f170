import ArgumentParser
import BackupKit
import ConfigKit
import Foundation

extension VerifyCommand {
    /// A PITR job's WAL chain from each base backup's start to the newest archived segment, at
    /// every destination of the job (only `--destination`'s when given); prints one line per base
    /// backup (named by destination when the job has several) and returns false when a WAL file is
    /// missing anywhere. Each destination's check is recorded in the history (`JobVerification.walChains`).
    /// `baseFailedAt` names the destination whose base backup failed its verification in this run.
    func verifyWALChain(job: JobConfig, verification: JobVerification, baseFailedAt: String?) async -> Bool {
        let render = { (result: WALChain.Result) in result.render { job.timeZone.iso8601($0) } }
        let checked: (chains: [WALChainVerifier.DestinationChains], unrecorded: [String])
        do {
            guard let result = try await verification.walChains(
                of: job, only: destination.name.map { [$0] }, baseFailedAt: baseFailedAt, render: render, logger: commandLogger(verbose: verbose))
            else { return true }
            checked = result
        } catch {
            printError("WAL chain of \(job.name) could not be checked: \(error)")
            return false
        }
        let several = checked.chains.count > 1
        for chain in checked.chains {
            let at = several ? "at \(chain.destination): " : ""
            if let error = chain.error {
                printError("\(at)WAL chain of \(job.name) could not be checked: \(error)")
            } else if chain.results.isEmpty {
                printError("\(at)WAL chain of \(job.name): no base backup to check it from; take one with backupd run-now \(job.name)")
            }
            for result in chain.results {
                let line = at + render(result)
                // With --json stdout is the JSON document alone; the chain's lines go to stderr then.
                if result.isComplete && !json { print(line) } else { printError(line) }
            }
        }
        checked.unrecorded.forEach(printError)
        return checked.chains.allSatisfy(\.isComplete)
    }
}
