import BackupKit
import Synchronization

/// The config a daemon has in force, for services built before the daemon itself (the scheduled
/// verifier): the config it started with until the daemon exists, the daemon's own after that.
final class DaemonConfigReference: Sendable {
    private let daemon = Mutex<Daemon?>(nil)
    private let initial: BackupConfig

    init(initial: BackupConfig) {
        self.initial = initial
    }

    /// Reads the daemon's config from now on (reloads included).
    func follow(_ daemon: Daemon) {
        self.daemon.withLock { $0 = daemon }
    }

    /// The config in force.
    var current: BackupConfig {
        daemon.withLock { $0 }?.config ?? initial
    }
}
