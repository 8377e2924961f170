import BackupCore
import Foundation

/// Runs `body` as work that SIGINT or SIGTERM stop (Task cancellation, "interrupted by signal N" as
/// its `StopReason`), so that Ctrl-C kills the tool and aborts the upload. Returns its result and
/// why it was stopped (nil: it was not).
public func stoppingOnSignals<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> (value: T, stopped: String?) {
    let work = StoppableTask(body)
    let signals = [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { work.stop("interrupted by signal \(number)") }
        source.resume()
        return source
    }
    defer { signals.forEach { $0.cancel() } }
    let value = try await work.value
    return (value, work.stopReason.reason)
}
