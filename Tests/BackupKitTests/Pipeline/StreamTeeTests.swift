import BackupTestSupport
import Foundation
import Synchronization
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite(.ownThreads)
struct StreamTeeTests {
    /// Reads a branch to its end on the calling thread.
    func drain(_ branch: StreamTee.Branch) throws -> [UInt8] {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 300_000)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try branch.read(into: $0) }
            if n == 0 { return all }
            all += buffer[..<n]
        }
    }

    /// Runs `body(index)` on `count` threads of its own (concurrentPerform may run them one after another).
    func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            Thread {
                body(index)
                group.leave()
            }.start()
        }
        group.wait()
    }

    /// Every branch gets the whole stream, which is read from upstream once.
    @Test func everyBranchGetsTheStreamReadOnce() throws {
        let source = CountingSource(length: 5_000_000)
        let tee = StreamTee(source, chunkSize: 1 << 20, window: 2)
        let branches = tee.branches(3)
        let results = Mutex<[Int: [UInt8]]>([:])
        onThreads(3) { index in
            let bytes = (try? drain(branches[index])) ?? []
            results.withLock { $0[index] = bytes }
        }
        let all = results.withLock { $0 }
        #expect(source.produced == 5_000_000)
        #expect(all[0]?.count == 5_000_000)
        #expect(all[0] == all[1] && all[1] == all[2])
        #expect(tee.peakBytes <= tee.boundBytes)
    }

    /// A branch that does not read holds the others back after `window` chunks; detaching it lets them finish.
    @Test func stalledBranchHoldsBackUntilDetached() throws {
        let source = CountingSource(length: 10 << 20)
        let tee = StreamTee(source, chunkSize: 1 << 20, window: 3)
        let branches = tee.branches(2)
        let done = DispatchSemaphore(value: 0)
        let count = Mutex(0)
        Thread {
            let bytes = (try? drain(branches[0])) ?? []
            count.withLock { $0 = bytes.count }
            done.signal()
        }.start()
        #expect(done.wait(timeout: .now() + 0.5) == .timedOut)
        #expect(source.produced == 3 << 20)
        branches[1].detach()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(count.withLock { $0 } == 10 << 20)
        #expect(source.produced == 10 << 20)
    }

    /// A sole branch, and one left alone when the others detached, reads upstream straight into
    /// its reader's buffer: no chunk is ever held, the stream is read once and arrives whole.
    @Test(arguments: [1, 3])
    func soleBranchReadsStraightThrough(branchCount: Int) throws {
        let source = CountingSource(length: 5_000_000)
        let tee = StreamTee(source, chunkSize: 1 << 20, window: 2)
        let branches = tee.branches(branchCount)
        for other in branches.dropFirst() { other.detach() }
        let bytes = try drain(branches[0])
        #expect(bytes.count == 5_000_000)
        #expect(source.produced == 5_000_000)
        #expect(tee.peakBytes == 0)
    }

    /// An upstream failure reaches a sole branch reading straight through.
    @Test func upstreamFailureReachesASoleBranch() {
        let tee = StreamTee(CountingSource(length: 4 << 20, failAfter: 2 << 20), chunkSize: 1 << 20, window: 4)
        let branch = tee.branches(1)[0]
        #expect(throws: (any Error).self) { try drain(branch) }
    }

    /// An upstream failure reaches every branch.
    @Test func upstreamFailureReachesEveryBranch() {
        let tee = StreamTee(CountingSource(length: 4 << 20, failAfter: 2 << 20), chunkSize: 1 << 20, window: 4)
        let branches = tee.branches(2)
        let failures = Mutex(0)
        onThreads(2) { index in
            do { _ = try drain(branches[index]) } catch { failures.withLock { $0 += 1 } }
        }
        #expect(failures.withLock { $0 } == 2)
    }
}

@Suite(.ownThreads)
struct FanOutUploadTests {
    /// Two stores get the same bytes and digest from one read of the stream.
    @Test func bothDestinationsStoreTheSameStream() async throws {
        let source = CountingSource(length: 7_000_000)
        let a = MemoryObjectStore(partSize: 1 << 20)
        let b = MemoryObjectStore(partSize: 3 << 20)
        let results = await FanOutUpload(chunkSize: 1 << 20, window: 2).upload(
            key: "k", from: source, metadata: [:], targets: [.init(name: "a", store: a), .init(name: "b", store: b)])
        let first = try results[0].get()
        let second = try results[1].get()
        #expect(first.sha256 == second.sha256)
        #expect(first.size == 7_000_000)
        #expect(a.bytes(of: "k") == b.bytes(of: "k"))
        #expect(source.produced == 7_000_000)
    }

    /// One destination takes the same path as several: it stores the whole stream, read once; a
    /// failing one is aborted and reported through `uploadFailed` like any lane.
    @Test func oneDestinationTakesTheSamePath() async throws {
        let source = CountingSource(length: 7_000_000)
        let only = MemoryObjectStore(partSize: 1 << 20)
        let results = await FanOutUpload(chunkSize: 1 << 20, window: 2).upload(
            key: "k", from: source, metadata: [:], targets: [.init(name: "only", store: only)])
        #expect(try results[0].get().size == 7_000_000)
        #expect(only.bytes(of: "k")?.count == 7_000_000)
        #expect(source.produced == 7_000_000)

        let bad = MemoryObjectStore(partSize: 1 << 20, failAfter: 2 << 20)
        let reported = Mutex(0)
        let failed = await FanOutUpload(chunkSize: 1 << 20, window: 2).upload(
            key: "k", from: CountingSource(length: 9 << 20), metadata: [:],
            targets: [.init(name: "bad", store: bad, uploadFailed: { _ in reported.withLock { $0 += 1 } })])
        #expect(throws: MemoryStoreError.self) { try failed[0].get() }
        #expect(bad.abortedKeys == ["k"])
        #expect(reported.withLock { $0 } == 1)
    }

    /// One store failing mid-stream is aborted and detached; the other still stores the whole stream.
    @Test func failedDestinationDoesNotStopTheOther() async throws {
        let source = CountingSource(length: 9 << 20)
        let good = MemoryObjectStore(partSize: 1 << 20)
        let bad = MemoryObjectStore(partSize: 1 << 20, failAfter: 2 << 20)
        let results = await FanOutUpload(chunkSize: 1 << 20, window: 2).upload(
            key: "k", from: source, metadata: [:], targets: [.init(name: "bad", store: bad), .init(name: "good", store: good)])
        #expect(throws: MemoryStoreError.self) { try results[0].get() }
        #expect(try results[1].get().size == 9 << 20)
        #expect(bad.abortedKeys == ["k"])
        await #expect(try bad.openUploads(prefix: "").isEmpty)
        #expect(good.bytes(of: "k")?.count == 9 << 20)
    }
}

@Suite(.ownThreads)
struct FanOutCancellationTests {
    /// A destination whose upload fails is detached (its upload aborted) while the other stores
    /// the whole stream.
    @Test func failingOneTargetLeavesTheOther() async throws {
        let source = CountingSource(length: 9 << 20)
        let kept = MemoryObjectStore(partSize: 1 << 20)
        let failing = MemoryObjectStore(partSize: 1 << 20, failAfter: 2 << 20)
        let results = await FanOutUpload(chunkSize: 1 << 20, window: 2).upload(
            key: "k", from: source, metadata: [:], expectedSize: 9 << 20,
            targets: [.init(name: "failing", store: failing), .init(name: "kept", store: kept)])
        #expect(throws: (any Error).self) { try results[0].get() }
        let receipt = try results[1].get()
        #expect(receipt.size == 9 << 20 && receipt.segments.count == 1)
        #expect(try await failing.openUploads(prefix: "").isEmpty)
        #expect(failing.bytes(of: "k") == nil && failing.abortedKeys == ["k"])
        #expect(kept.bytes(of: "k")?.count == 9 << 20)
    }
}
