import BackupKit

/// A client lent to one bridge call, which the lender awaits.
private struct LentClient: @unchecked Sendable {
    let client: ControlClient
}

extension ControlClient {
    /// The next event, read on the bridge: a test that blocked a cooperative thread in `recv` could
    /// starve the server it waits for (the control server is async on the same pool).
    func nextEvent() async throws -> ControlEvent {
        let lent = LentClient(client: self)
        return try await BlockingBridge.shared.run { try lent.client.next() }
    }
}
