import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

private let base = Date(timeIntervalSince1970: 1_700_000_000)

@Suite("Metrics seeded from the history", .ownThreads)
struct MetricsSeedingTests {
    /// Per destination totals: a fan-out run's rows count at each destination that stored it (a
    /// partial run's too), a single-destination run's at its own destination; the newest size per
    /// destination; run counts include partial runs; running and failed runs store nothing.
    @Test func destinationTotals() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = try HistoryStore(stateDirectory: tmp.path)
        func run(_ job: String, at offset: Double, status: RunStatus, bytes: Int64?, destinations: [(String, RunStatus, Int64?)] = []) throws {
            let id = try store.insertRunning(job: job, trigger: .schedule, scheduledAt: nil, startedAt: base + offset, destination: destinations.first?.0 ?? "local")
            try store.finish(runID: id, RunOutcome(status: status, endedAt: base + offset + 5, bytesStored: bytes))
            try store.recordDestinations(runID: id, destinations.map { DestinationOutcome(destination: $0.0, status: $0.1, bytesStored: $0.2) })
        }
        try run("fan", at: 0, status: .succeeded, bytes: 100, destinations: [("a", .succeeded, 100), ("b", .succeeded, 100)])
        try run("fan", at: 10, status: .partial, bytes: 120, destinations: [("a", .succeeded, 120), ("b", .failed, nil)])
        try run("fan", at: 20, status: .succeeded, bytes: 90, destinations: [("a", .succeeded, 90), ("b", .succeeded, 90)])
        try run("single", at: 0, status: .succeeded, bytes: 7)
        try run("single", at: 10, status: .succeeded, bytes: 8)
        try run("single", at: 20, status: .failed, bytes: nil)
        _ = try store.insertRunning(job: "single", trigger: .schedule, scheduledAt: nil, startedAt: base + 30, destination: "local")

        let totals = Set(try store.destinationTotals())
        #expect(totals == [
            HistoryStore.DestinationTotals(job: "fan", destination: "a", bytesStored: 310, lastSize: 90),
            HistoryStore.DestinationTotals(job: "fan", destination: "b", bytesStored: 190, lastSize: 90),
            HistoryStore.DestinationTotals(job: "single", destination: "local", bytesStored: 15, lastSize: 8),
        ])
        let counts = Set(try store.runTotals())
        #expect(counts == [
            HistoryStore.RunTotals(job: "fan", status: .succeeded, count: 2), HistoryStore.RunTotals(job: "fan", status: .partial, count: 1),
            HistoryStore.RunTotals(job: "single", status: .succeeded, count: 2), HistoryStore.RunTotals(job: "single", status: .failed, count: 1),
        ])
    }
}
