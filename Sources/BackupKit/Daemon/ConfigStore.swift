import ConfigKit
import Synchronization

/// The configuration in force in the daemon, one per process: a reload swaps it whole, and every
/// reader takes a snapshot (`current`) for the work at hand, so a run never sees half a reload.
public final class ConfigStore: Sendable {
    /// The file the configuration was read from (reloads read it again).
    public let path: String
    private let config: Mutex<BackupConfig>

    /// A store holding `config`, read from `path`.
    public init(path: String, config: BackupConfig) {
        self.path = path
        self.config = Mutex(config)
    }

    /// A snapshot of the configuration in force.
    public var current: BackupConfig { config.withLock { $0 } }

    /// Puts `new` in force (a reload that passed every check).
    func replace(with new: BackupConfig) {
        config.withLock { $0 = new }
    }

    /// Reads the configuration in force each time it is called, for parts that follow reloads.
    public var reader: @Sendable () -> BackupConfig { { [self] in current } }
}
