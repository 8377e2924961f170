import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging
import ServiceLifecycle

extension Daemon {
    /// Everything the daemon needs from outside: `Daemon.live` fills it with the real parts,
    /// tests with fakes.
    public struct Dependencies: Sendable {
        /// The source of time.
        public var clock: any WallClock
        /// How the scheduler waits on `clock` (tests with a manual clock pass one that advances it).
        public var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
        /// Talks to systemd (a no-op outside systemd).
        public var notifier: SystemdNotifier
        /// Takes backups.
        public var executor: any BackupExecutor
        /// Opens destinations' stores, to clean up uploads a crash left open.
        public var stores: any ObjectStoreProvider
        /// Reads config files (and their secrets) on reload.
        public var sources: ConfigSources
        /// How long crash recovery and the stale-upload sweep may spend on one destination.
        public var cleanupTimeout: Duration = .seconds(120)
        /// More long-running parts (a periodic upload sweeper, a metrics listener): run in the
        /// group after recovery, stopped after the scheduler and the control socket.
        public var services: [any Service] = []
        /// What follows each recorded run (verification, retention, notifications, metrics), made
        /// once for the daemon's history.
        public var observers: @Sendable (HistoryStore) -> [any RunObserver]
        /// Performs the jobs' scheduled verifications, which the daemon's scheduler schedules
        /// (nil: none are scheduled).
        public var verifier: ScheduledVerifier?
        /// Called with the new config after each successful reload (the metrics registry follows it).
        public var reloaded: [@Sendable (BackupConfig) -> Void] = []
        /// Called once the daemon stopped (notifications still in flight get a bounded moment).
        public var stopped: [@Sendable () -> Void] = []
        /// Claims the slots of `runOn: "any"` jobs in their first destination (tests pass fake stores).
        public var claimer: SlotClaimer = .live
        /// PITR: `wal-push` on the control socket (nil: refused); by default stored to S3.
        public var walPushing: @Sendable (ConfigStore, Logger) -> ControlServer.WALPushing? = WALReceiver.pushing
        /// Told (job, WAL file, reason) when a PITR job's archiving starts failing (the webhook event).
        public var walPushFailed: @Sendable (String, String, String) -> Void = { _, _, _ in }

        /// Groups the dependencies.
        public init(
            clock: any WallClock, notifier: SystemdNotifier, executor: any BackupExecutor, stores: any ObjectStoreProvider, sources: ConfigSources,
            observers: @escaping @Sendable (HistoryStore) -> [any RunObserver] = { _ in [] }
        ) {
            self.observers = observers
            self.clock = clock
            self.notifier = notifier
            self.executor = executor
            self.stores = stores
            self.sources = sources
        }
    }
}
