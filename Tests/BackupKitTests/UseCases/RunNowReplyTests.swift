import Foundation
import Logging
import Synchronization
import TestThreads
import Testing
@testable import BackupKit

/// `run-now` through the daemon (`ControlClient.runNow`): progress lines are relayed in order and
/// the run ends with the daemon's refusal or its result.
@Suite("Run-now replies over the control socket", .ownThreads)
struct RunNowReplyTests {
    /// Serves `events` to the first run-now request, runs `body` against the server, then stops it.
    private static func withServer(
        _ events: [ControlEvent], _ body: @escaping @Sendable (ControlClient) throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-runnow-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = ControlServer(stateDirectory: directory, logger: Logger(label: "test")) { _, reply in
            Thread.detachNewThread {
                for event in events.dropLast() { reply.send(event) }
                if let last = events.last { reply.finish(last) }
            }
        }
        let serving = Task { try await server.run() }
        var client: ControlClient?
        for _ in 0..<100 where client == nil {
            client = try? ControlClient.connect(stateDirectory: directory)
            if client == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let connected = try #require(client)
        let outcome = Result { try body(connected) }
        serving.cancel()
        try await serving.value
        try outcome.get()
    }

    /// Queued, started and progress lines reach `progress` in order; the result ends the run with its note.
    @Test func relaysProgressThenResult() async throws {
        try await Self.withServer([
            ControlEvent(.queued, message: "queued"), ControlEvent(.started, run: 7), ControlEvent(.progress, run: 7, message: "12 MiB"),
            ControlEvent(.result, run: 7, message: "note"),
        ]) { client in
            let lines = Mutex<[String]>([])
            let reply = try client.runNow(job: "app", wait: false) { line in lines.withLock { $0.append(line) } }
            #expect(lines.withLock { $0 } == ["queued", "12 MiB"])
            #expect(reply == .result(message: "note", summary: nil))
        }
    }

    /// A refusal ends the run with the daemon's reason (or a generic one when it gave none).
    @Test func refusal() async throws {
        try await Self.withServer([ControlEvent(.refused, message: "job app is already running (run 3)")]) { client in
            let reply = try client.runNow(job: "app", wait: false, progress: { _ in })
            #expect(reply == .refused("job app is already running (run 3)"))
        }
        try await Self.withServer([ControlEvent(.error)]) { client in
            let reply = try client.runNow(job: "app", wait: false, progress: { _ in })
            #expect(reply == .refused("the daemon refused the run"))
        }
    }
}
