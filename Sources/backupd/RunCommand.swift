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
            priority prefixes. SIGHUP reloads the config; SIGTERM stops after running backups finish \
            (up to shutdownGracePeriod).
            """)

    @OptionGroup var options: GlobalOptions

    @Option(help: "The lowest log level written: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = JournalLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "backupd")
        let config = try options.loadConfig()
        let clock = SystemWallClock()
        let stores = liveStores(logger: logger)
        let executor = BackupRunner(
            stores: stores, launcher: PosixProcessLauncher(), clock: clock,
            environment: ProcessInfo.processInfo.environment)
        // After-backup verification records through the run's history (RunRecorder passes it on).
        let verifyRunner = VerifyRunner(
            stores: stores, launcher: PosixProcessLauncher(), environment: ProcessInfo.processInfo.environment, clock: clock,
            history: nil)
        let dependencies = Daemon.Dependencies(
            clock: clock, notifier: SystemdNotifier(), executor: executor, stores: stores, sources: .live,
            observers: [AfterBackupVerifier(runner: verifyRunner)])
        let daemon: Daemon
        do {
            daemon = try Daemon(configPath: options.config, config: config, dependencies: dependencies, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
        // Scheduled verification records through the daemon's own store: a second HistoryStore on
        // the same file in this process would break SQLite's POSIX locks.
        let scheduledRunner = VerifyRunner(
            stores: stores, launcher: PosixProcessLauncher(), environment: ProcessInfo.processInfo.environment, clock: clock,
            history: daemon.history)
        let verifier = ScheduledVerifier(runner: scheduledRunner, config: { daemon.config }, clock: clock, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await verifier.run() }
            try await daemon.run()
            group.cancelAll()
            _ = try? await group.next()
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
