import ArgumentParser
import BackupCore
import BackupHistory
import BackupKit
import ConfigKit
import Foundation

extension VerifyCommand {
    /// A PITR job's WAL chain from each base backup's start to the newest archived segment, at
    /// every destination of the job (only `--destination`'s when given); prints one line per base
    /// backup (named by destination when the job has several), records one verification row per
    /// destination in `history`, and returns false when a WAL file is missing anywhere.
    /// `baseFailedAt` names the destination whose base backup failed its verification in this run.
    func verifyWALChain(job: JobConfig, config: BackupConfig, history: HistoryStore, baseFailedAt: String?) async -> Bool {
        guard job.pitr != nil else { return true }
        let logger = commandLogger(verbose: verbose)
        let chains: [WALChainVerifier.DestinationChains]
        do {
            chains = try await WALChainVerifier(stores: liveStores(logger: logger))
                .checkAll(job: job, config: config, destinations: destination.name.map { [$0] }, clock: SystemWallClock(), logger: logger)
        } catch {
            printError("WAL chain of \(job.name) could not be checked: \(error)")
            return false
        }
        let render = { (result: WALChain.Result) in result.render { job.timeZone.iso8601($0) } }
        let several = chains.count > 1
        for chain in chains {
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
            let record = chain.record(job: job.name, trigger: .verify, baseFailed: baseFailedAt == chain.destination, render: render)
            do {
                _ = try history.insertVerification(record)
            } catch {
                printError("cannot record the WAL chain check of \(job.name) at \(chain.destination) in the history: \(error)")
            }
        }
        return chains.allSatisfy(\.isComplete)
    }
}
