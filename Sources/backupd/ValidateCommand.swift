import ArgumentParser
import BackupKit
import ConfigKit
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

    @Flag(help: "Print JSON (docs/json.md): validity, every problem located, and for a valid file its destinations and jobs with their next runs.")
    var json = false

    func run() throws {
        if json { return try runJSON() }
        if !noSecrets { try explainUnavailableSecrets() }
        let config = try options.loadConfig(secrets: noSecrets ? .none : .all)
        print(ConfigSummary.render(config, path: options.config, now: Date()))
        if noSecrets { printError("note: secrets were not read (--no-secrets); backupd validate without it checks them too") }
    }

    /// The same checks with the result as one JSON document on stdout (problems too); exit 1 when invalid.
    private func runJSON() throws {
        let document: JSONOutput
        let valid: Bool
        do {
            let (config, warnings) = try BackupConfig.load(path: options.config, secrets: noSecrets ? .none : .all)
            document = ConfigSummary.json(path: options.config, config: config, problems: warnings, secretsChecked: !noSecrets, now: Date())
            valid = true
        } catch {
            document = ConfigSummary.json(path: options.config, config: nil, problems: error.problems, secretsChecked: !noSecrets, now: Date())
            valid = false
        }
        print(document.text, terminator: "")
        if !valid { throw ExitCode.failure }
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
