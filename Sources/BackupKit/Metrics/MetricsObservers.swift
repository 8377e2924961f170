import BackupCore
import BackupHistory
import ConfigKit
import Logging

/// The observers and listener a config's `metrics` asks for.
public enum MetricsObservers {
    /// The registry (seeded from `history`) and its textfile writer, in the order RunRecorder must
    /// call them; the registry is shared with a `MetricsListener`.
    public static func make(config: BackupConfig, history: HistoryStore, clock: any WallClock, logger: Logger) -> (registry: MetricsRegistry, observers: [any RunObserver]) {
        let registry: MetricsRegistry
        do {
            registry = try MetricsRegistry(config: config, clock: clock, history: history)
        } catch {
            logger.warning("cannot read the history for metrics; they start from zero", metadata: ["error": "\(error)"])
            registry = MetricsRegistry(config: config, clock: clock)
        }
        var observers: [any RunObserver] = [registry]
        if let path = config.metrics?.textfile {
            let textfile = MetricsTextfile(path: path, registry: registry, logger: logger)
            textfile.write()
            observers.append(textfile)
        }
        return (registry, observers)
    }

    /// What a successful reload does to the metrics: `registry` takes the new config (jobs added,
    /// removed, rescheduled) and the textfile among `observers` is rewritten at once.
    public static func reloaded(registry: MetricsRegistry, observers: [any RunObserver]) -> @Sendable (BackupConfig) -> Void {
        let textfiles = observers.compactMap { $0 as? MetricsTextfile }
        return { config in
            registry.update(config: config)
            for textfile in textfiles { textfile.write() }
        }
    }
}
