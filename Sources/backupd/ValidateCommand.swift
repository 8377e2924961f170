import ArgumentParser
import BackupKit
import Foundation

/// `backupd validate`: checks the config file and shows what it will do.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check the config file and print every job with its next runs.",
        discussion: "Exits 0 when the file is valid (warnings are printed to stderr), 1 with every problem found when it is not.")

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let config = try options.loadConfig()
        print(ConfigSummary.render(config, path: options.config, now: Date()))
    }
}
