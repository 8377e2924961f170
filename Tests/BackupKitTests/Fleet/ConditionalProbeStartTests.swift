import Foundation
import Logging
import Synchronization
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("runOn any: the conditional-write probe at the daemon's start", .ownThreads)
struct ConditionalProbeStartTests {
    /// At start, a runOn any job whose generic destination fails the probe is refused with an
    /// error naming the job, the destination and the failed step; a runOn "this" job and a
    /// disabled one are not probed; the slot claimer later uses the same answer without probing again.
    @Test func startProbeNamesTheRefusedJob() async throws {
        var config = try FencedRunTests.config(host: "host-a")
        var local = config.jobs[0]
        local.name = "local-db"
        local.runOn = .this
        var disabled = config.jobs[0]
        disabled.name = "off"
        disabled.enabled = false
        config.jobs += [local, disabled]
        let probed = Mutex<[String]>([])
        let cache = ConditionalProbeCache { _, key, _ in
            probed.withLock { $0.append(key) }
            return "Second create refused (412): a second If-None-Match: * PUT was accepted"
        }
        let logs = CapturedLogs(label: "test.start-probe")
        let refused = await ConditionalProbeService.probe(config: config, probes: cache, logger: logs.logger)
        #expect(refused == ["job1": "Second create refused (412): a second If-None-Match: * PUT was accepted"])
        #expect(probed.withLock { $0.count } == 1)
        let line = try #require(logs.entries.withLock { $0.first { $0.level == .error } })
        #expect(line.message.contains("runOn any job job1 refused: destination local failed the conditional-write probe (Second create refused (412)"))
        #expect(line.metadata["job.name"] == "job1" && line.metadata["s3.destination"] == "local")

        var claimer = FencedRunTests.claimer(FakeConditionalStore())
        claimer.probes = cache
        let decision = await claimer.claim(job: config.jobs[0], config: config, slot: FencedRunTests.slot, logger: Logger(label: "a"))
        guard case .failed(let reason) = decision else { Issue.record("ran on an unsafe provider: \(decision)"); return }
        #expect(reason.contains("failed the conditional-write probe"))
        #expect(probed.withLock { $0.count } == 1)
    }

    /// Callers that come while a probe is under way share its answer (one probe object, not two);
    /// a probe that could not run is not kept, so the next caller probes again.
    @Test func concurrentCallersShareOneProbe() async throws {
        let config = try FencedRunTests.config(host: "host-a")
        let destination = try #require(config.destination(named: config.jobs[0].destination))
        let calls = Mutex(0)
        let gate = Mutex(false)
        let cache = ConditionalProbeCache(verdict: { _, _, _ in
            let call = calls.withLock { $0 += 1; return $0 }
            while !gate.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
            return call == 1 ? .unknown("Conditional create (If-None-Match): connection refused") : .safe
        })
        async let first = cache.unsafeReason(destination, folder: "f/", logger: Logger(label: "t"))
        async let second = cache.unsafeReason(destination, folder: "f/", logger: Logger(label: "t"))
        try await Task.sleep(for: .milliseconds(100))
        gate.withLock { $0 = true }
        let answers = await [first, second]
        #expect(calls.withLock { $0 } == 1)
        #expect(answers.allSatisfy { $0?.contains("could not run") == true }, "\(answers)")
        #expect(await cache.unsafeReason(destination, folder: "f/", logger: Logger(label: "t")) == nil)
        #expect(calls.withLock { $0 } == 2)
        #expect(await cache.unsafeReason(destination, folder: "f/", logger: Logger(label: "t")) == nil)
        #expect(calls.withLock { $0 } == 2)
    }
}
