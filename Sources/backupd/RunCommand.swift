import ArgumentParser
import BackupKit
import Foundation
import Logging

/// `backupd run`: the daemon, in the foreground, as systemd starts it.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the backup daemon in the foreground (as systemd does).",
        discussion: """
            Refuses to start when the config does not validate. Logs go to stderr with journald \
            priority prefixes. SIGHUP reloads the config (one that changes stateDirectory, \
            metrics.listen or metrics.textfile is refused: those need a restart); SIGTERM stops \
            after running backups finish (up to shutdownGracePeriod). Holds the lock on the state \
            directory (the directory and backupd.lock): a second daemon on it exits 1 naming the \
            holder's pid; while a daemon-less run-now holds it, the daemon waits. A lock file removed \
            under it is locked again; a history file removed or replaced, or a lock it cannot take \
            back, is logged at error priority and runs are refused meanwhile. Listens on \
            control.sock there for run-now.
            """)

    @OptionGroup var options: GlobalOptions

    @Option(help: "The lowest log level written: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        // Before any thread or run: large blocks get their own mappings (see MallocPolicy).
        Daemon.prepareProcess()
        LoggingSystem.bootstrap(Daemon.logHandlers(level: logLevel))
        let logger = Logger(label: "backupd")
        let config = try options.loadConfig()
        let daemon: Daemon
        do {
            daemon = try Daemon.live(configPath: options.config, config: config, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
        do {
            try await daemon.run()
        } catch {
            logger.critical("cannot run", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
