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

/// Answers with scripted statuses (or transport errors), recording each request.
final class NotifyScriptedTransport: HTTPTransport {
    let script: Mutex<[Result<Int, HTTPTransportError>]>
    let requests = Mutex<[(url: String, body: [UInt8])]>([])

    init(_ script: [Result<Int, HTTPTransportError>]) { self.script = Mutex(script) }

    func send(_ request: HTTPRequest, body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?) throws -> HTTPResponse {
        requests.withLock { $0.append((request.url, Array(body))) }
        let next = script.withLock { $0.isEmpty ? .success(200) : $0.removeFirst() }
        return HTTPResponse(status: try next.get())
    }
}

@Suite("Notification delivery", .ownThreads)
struct NotificationSenderTests {
    private func message() -> NotificationMessage {
        NotificationMessage(url: Secret("https://hooks.example.com/t/ok-Token-9"), headers: [], body: Array("{}".utf8))
    }

    /// A 5xx and a dropped connection are retried; the third attempt delivers.
    @Test func retriesTransientFailures() {
        let transport = NotifyScriptedTransport([.success(503), .failure(.connect(host: "hooks.example.com", detail: "refused")), .success(204)])
        let sender = NotificationSender(transport: transport, attempts: 3, retryDelay: .milliseconds(10), logger: Logger(label: "t"))
        sender.send(message(), metadata: [:])
        #expect(sender.flush(timeout: .seconds(5)))
        #expect(transport.requests.withLock { $0.count } == 3)
    }

    /// A 404 is not retried (it will not change), and the failure is only logged.
    @Test func clientErrorNotRetried() {
        let transport = NotifyScriptedTransport([.success(404), .success(200)])
        let sender = NotificationSender(transport: transport, attempts: 3, retryDelay: .milliseconds(10), logger: Logger(label: "t"))
        sender.send(message(), metadata: [:])
        #expect(sender.flush(timeout: .seconds(5)))
        #expect(transport.requests.withLock { $0.count } == 1)
    }

    /// `send` returns at once even when the endpoint is slow; flush waits at most its timeout.
    @Test func sendNeverBlocks() {
        let transport = SlowTransport(delay: 2)
        let sender = NotificationSender(transport: transport, attempts: 1, logger: Logger(label: "t"))
        let started = Date()
        sender.send(message(), metadata: [:])
        #expect(Date().timeIntervalSince(started) < 0.2)
        #expect(!sender.flush(timeout: .milliseconds(100)))
        #expect(sender.flush(timeout: .seconds(5)))
    }
}

/// Takes `delay` seconds per request.
struct SlowTransport: HTTPTransport {
    let delay: Double
    func send(_ request: HTTPRequest, body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?) throws -> HTTPResponse {
        Thread.sleep(forTimeInterval: delay)
        return HTTPResponse(status: 200)
    }
}
