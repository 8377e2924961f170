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
        let daemon: Daemon
        var listener: MetricsListener? = nil
        do {
            var observers: [any RunObserver] = [Notifier(sender: NotificationSender.live(logger: logger))]
            if config.metrics != nil {
                let history = try HistoryStore(stateDirectory: config.stateDirectory)
                let metrics = MetricsObservers.make(config: config, history: history, clock: clock, logger: logger)
                listener = try config.metrics?.listen.map { try MetricsListener(address: $0, registry: metrics.registry, logger: logger) }
                observers += metrics.observers
            }
            let dependencies = Daemon.Dependencies(
                clock: clock, notifier: SystemdNotifier(), executor: executor, stores: stores, sources: .live, observers: observers)
            daemon = try Daemon(configPath: options.config, config: config, dependencies: dependencies, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
        // The lifecycle branch's ServiceGroup takes the listener as one more service; until then it
        // runs beside the daemon and stops with it.
        let serving = Task { try await listener?.run() }
        defer { serving.cancel() }
        try await daemon.run()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
