import BackupCore
import BackupKit

extension ControlClient {
    /// The next event, read on the bridge: a test that blocked a cooperative thread in `recv` could
    /// starve the server it waits for (the control server is async on the same pool).
    func nextEvent() async throws -> ControlEvent {
        let lent = BlockingBridge.Handoff(self)
        return try await BlockingBridge.shared.run { try lent.value.next() }
    }
}
