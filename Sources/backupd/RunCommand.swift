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
        MallocPolicy.apply()
        let level = logLevel
        // journald stamps each line itself; a log file or terminal needs the time in the line.
        let stamped = !JournalLogHandler.stderrIsJournal(environment: ProcessInfo.processInfo.environment)
        LoggingSystem.bootstrap { label in
            var handler = JournalLogHandler(label: label)
            handler.logLevel = level
            if stamped { handler.timestamp = { JournalLogHandler.utcTimestamp(Date().timeIntervalSince1970) } }
            return handler
        }
        let logger = Logger(label: "backupd")
        let config = try options.loadConfig()
        let clock = SystemWallClock()
        // One connection for the daemon and the services around it (failed aborts, sizes, metrics, the sweeper).
        let history: HistoryStore
        do {
            history = try HistoryStore(stateDirectory: config.stateDirectory)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
        let stores = liveStores(logger: logger, abortLedger: history)
        let executor = BackupRunner(
            stores: stores, launcher: PosixProcessLauncher(), clock: clock,
            environment: ProcessInfo.processInfo.environment, recentSize: recentSize(history: history),
            recentDumpSizes: recentDumpSizes(history: history))
        let launcher = PosixProcessLauncher()
        let environment = ProcessInfo.processInfo.environment
        let notifications = NotificationSender.live(logger: logger)
        var metrics: [any RunObserver] = []
        var listener: MetricsListener?
        var reloadMetrics: (@Sendable (BackupConfig) -> Void)?
        if config.metrics != nil {
            let made = MetricsObservers.make(config: config, history: history, clock: clock, logger: logger)
            metrics = made.observers
            reloadMetrics = MetricsObservers.reloaded(registry: made.registry, observers: made.observers)
            do {
                listener = try config.metrics?.listen.map { try MetricsListener(address: $0, registry: made.registry, logger: logger) }
            } catch {
                logger.critical("cannot start", metadata: ["error": "\(error)"])
                throw ExitCode.failure
            }
        }
        var dependencies = Daemon.Dependencies(
            clock: clock, notifier: SystemdNotifier(), executor: executor, stores: stores, sources: .live,
            observers: { [metrics] in
                RunObservers.standard(
                    history: $0, stores: stores, launcher: launcher, environment: environment, clock: clock,
                    notifications: notifications, metrics: metrics)
            })
        // Services that follow the config in force, which the daemon owns once it exists.
        let daemonConfig = DaemonConfigReference(initial: config)
        let verifyRunner = VerifyRunner(
            stores: stores, launcher: launcher, environment: environment, clock: clock, history: history,
            observers: RunObservers.verificationObservers(notifier: Notifier(sender: notifications), metrics: metrics))
        dependencies.services.append(
            ScheduledVerifier(runner: verifyRunner, config: { daemonConfig.current }, clock: clock, logger: logger))
        dependencies.services.append(
            UploadSweeper(history: history, configuration: { daemonConfig.current }, stores: stores, clock: clock, logger: logger))
        if let listener { dependencies.services.append(listener) }
        if let reloadMetrics { dependencies.reloaded.append(reloadMetrics) }
        let daemon = Daemon(configPath: options.config, config: config, history: history, dependencies: dependencies, logger: logger)
        daemonConfig.follow(daemon)
        do {
            try await daemon.run()
        } catch {
            logger.critical("cannot run", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
        _ = notifications.flush(timeout: .seconds(10))
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
