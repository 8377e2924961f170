import Logging
import ServiceLifecycle

/// Runs a service that may end early (one-shot clean-up, a part that fails) so that it ends only
/// when the group stops it: the group's graceful shutdown cancels it (such parts end promptly on
/// Task cancellation), and once done it waits for its turn. A `ServiceGroup` treats any service
/// that ends out of turn during a shutdown as a failure, which would abort the running backups.
struct UntilShutdown: Service, CustomStringConvertible {
    let service: any Service
    let logger: Logger

    var description: String { "\(service)" }

    func run() async throws {
        let service = self.service
        do {
            try await cancelWhenGracefulShutdown { try await service.run() }
        } catch is CancellationError {
        } catch {
            logger.error("a daemon service failed; the others go on", metadata: ["service.name": "\(service)", "error": "\(error)"])
        }
        try? await gracefulShutdown()
    }
}
