import ServiceLifecycle
import UnixSignals

/// Reloads the config on every SIGHUP until graceful shutdown. The signal sequence is created
/// before the group starts, so a SIGHUP right after READY=1 is never the default (fatal) action.
struct ReloadService: Service {
    let reloader: ConfigReloader
    let signals: UnixSignalsSequence

    func run() async throws {
        for await _ in signals.cancelOnGracefulShutdown() {
            reloader.reload()
        }
    }
}
