import ArgumentParser
import BackupKit
import ConfigKit

/// Options every subcommand shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "The config file.")
    var config: String = BackupConfig.defaultPath

    /// Loads the config, printing every problem to stderr and failing when it does not validate.
    /// Only the secrets in `secrets` are read (and reported when missing).
    func loadConfig(secrets: SecretScope = .all) throws -> BackupConfig {
        do {
            let (config, warnings) = try BackupConfig.load(path: config, secrets: secrets)
            for warning in warnings { printError(warning.description) }
            return config
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandleStream.standardError.write(text + "\n")
}
