import Foundation
import Logging
import Synchronization
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// The control socket over `BlockingBridge`: replies written in order from any thread, and a
/// cancelled server that returns promptly even while a client waits for a reply never finished.
@Suite("Control server on the bridge", .ownThreads)
struct ControlServerTests {
    private static func stateDirectory() throws -> String {
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-control-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Events sent from another thread reach the client in order, the final one last; the
    /// socket file is removed when the server is cancelled.
    @Test func repliesInOrderAndCleansUp() async throws {
        let directory = try Self.stateDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = ControlServer(stateDirectory: directory, logger: Logger(label: "test")) { request, reply in
            Thread.detachNewThread {
                reply.send(ControlEvent(.started, run: 1, message: request.job))
                reply.send(ControlEvent(.started, run: 2))
                reply.finish(ControlEvent(.error, message: "done"))
                reply.send(ControlEvent(.started, run: 3))
            }
        }
        let serving = Task { try await server.run() }
        var client: ControlClient?
        _ = await pollUntil { client = try? ControlClient.connect(stateDirectory: directory); return client != nil }
        let connected = try #require(client)
        try connected.send(ControlRequest(runNow: "app", wait: false))
        var events: [ControlEvent] = []
        for _ in 0..<3 { events.append(try await connected.nextEvent()) }
        #expect(events.map(\.run) == [1, 2, nil])
        #expect(events.map(\.message) == ["app", nil, "done"])
        await #expect(throws: (any Error).self) { try await connected.nextEvent() }
        serving.cancel()
        try await serving.value
        #expect(!FileManager.default.fileExists(atPath: ControlServer.path(stateDirectory: directory)))
    }

    /// A client waits for a run whose reply never finishes; cancelling the server ends it within
    /// seconds, and the client sees its connection closed.
    @Test func cancellationEndsWaitingConnections() async throws {
        let directory = try Self.stateDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let handled = Atomic<Bool>(false)
        let server = ControlServer(stateDirectory: directory, logger: Logger(label: "test")) { _, _ in
            handled.store(true, ordering: .releasing)
        }
        let serving = Task { try await server.run() }
        var client: ControlClient?
        _ = await pollUntil { client = try? ControlClient.connect(stateDirectory: directory); return client != nil }
        let connected = try #require(client)
        try connected.send(ControlRequest(runNow: "app", wait: false))
        #expect(await pollUntil { handled.load(ordering: .acquiring) })
        let cancelled = ContinuousClock.now
        serving.cancel()
        try await serving.value
        // Generous for a loaded machine (16 s seen with the whole suite on 2 cores); without the
        // interrupt the connection would wait for its client forever.
        #expect(ContinuousClock.now - cancelled < .seconds(60))
        await #expect(throws: (any Error).self) { try await connected.nextEvent() }
    }

    private func pollUntil(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<100 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }
}
