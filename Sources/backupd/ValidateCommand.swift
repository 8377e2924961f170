import ArgumentParser
import BackupKit
import Foundation

/// `backupd validate`: checks the config file and shows what it will do.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check the config file and print every job with its next runs.",
        discussion: """
            Exits 0 when the file is valid (warnings are printed to stderr), 1 with every problem found when it is not. \
            Every secret is read and checked unless --no-secrets is given.
            """)

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Check the secrets' form only, without reading their environment variables or files (e.g. on a machine without them).")
    var noSecrets = false

    func run() throws {
        if !noSecrets { try explainUnavailableSecrets() }
        let config = try options.loadConfig(secrets: noSecrets ? .none : .all)
        print(ConfigSummary.render(config, path: options.config, now: Date()))
        if noSecrets { printError("note: secrets were not read (--no-secrets); backupd validate without it checks them too") }
    }

    /// When the file is valid but secrets cannot be read here (config.example.json as shipped, a
    /// config checked away from its server), prints the problems and says so, then fails.
    private func explainUnavailableSecrets() throws {
        do {
            _ = try BackupConfig.load(path: options.config, secrets: .all)
        } catch {
            guard (try? BackupConfig.load(path: options.config, secrets: .none)) != nil else { return }
            printError(error.description)
            printError(
                "note: apart from these secrets the file is valid (as `backupd validate --no-secrets` checks it); they are "
                    + "environment variables this shell does not set or files it cannot read: provide them where backupd runs "
                    + "(README, section Secrets), then validate again")
            throw ExitCode.failure
        }
    }
}
