import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Run lanes", .ownThreads)
struct LaneStateTests {
    /// Each history status reads as one lane state, and the state gives the same status back.
    @Test(arguments: [
        (RunStatus.running, "open"), (.succeeded, "stored"), (.failed, "failed"), (.interrupted, "interrupted"), (.partial, "failed"),
    ])
    func statusRoundTrip(status: RunStatus, expected: String) {
        let state = LaneState(status: status, objectKey: "k", bytesStored: 7, sha256: "ab", error: "why")
        let kind: String
        switch state {
        case .open(let key): kind = key == "k" ? "open" : "open without key"
        case .stored(let receipt): kind = receipt == LaneReceipt(objectKey: "k", bytesStored: 7, sha256: "ab") ? "stored" : "stored wrong"
        case .failed(let failure):
            #expect(failure.reason == "why" && failure.objectKey == "k")
            kind = failure.interrupted ? "interrupted" : "failed"
        }
        #expect(kind == expected)
        #expect(state.status == (status == .partial ? .failed : status))
    }

    /// A lane's size, digest and error come from its state alone: a failed lane has no size, a stored one no error.
    @Test func fieldsFollowTheState() {
        let stored = DestinationOutcome(destination: "a", bucket: "b", status: .succeeded, objectKey: "k", bytesStored: 5, sha256: "cd", error: "ignored")
        #expect(stored.error == nil && stored.bytesStored == 5 && stored.sha256 == "cd" && stored.objectKey == "k")
        let failed = DestinationOutcome(destination: "a", status: .failed, objectKey: "k", bytesStored: 5, sha256: "cd", error: "upload failed")
        #expect(failed.bytesStored == nil && failed.sha256 == nil && failed.error == "upload failed" && failed.objectKey == "k")
    }

    /// A lane crosses the control socket in its history shape and comes back the same.
    @Test func codableRoundTrip() throws {
        let lanes = [
            DestinationOutcome(destination: "a", bucket: "b", state: .stored(LaneReceipt(objectKey: "k", bytesStored: 9, sha256: "ef"))),
            DestinationOutcome(destination: "c", state: .failed(LaneFailure(reason: "stopped", interrupted: true))),
        ]
        let data = try JSONEncoder().encode(lanes)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"status\":\"succeeded\"") && text.contains("\"status\":\"interrupted\""))
        #expect(try JSONDecoder().decode([DestinationOutcome].self, from: data) == lanes)
    }

    /// An outcome that names no lanes gets one per destination with the run's result; one that
    /// names them keeps its own.
    @Test func completingLanes() {
        let destinations: [(name: String, bucket: String?)] = [(name: "a", bucket: "ba"), (name: "b", bucket: nil)]
        let success = RunOutcome(status: .succeeded, endedAt: Date(), bytesStored: 3, objectKey: "k", sha256: "aa").completingLanes(destinations)
        #expect(success.destinations.map(\.destination) == ["a", "b"] && success.destinations.map(\.bucket) == ["ba", nil])
        #expect(success.destinations.allSatisfy { $0.state == .stored(LaneReceipt(objectKey: "k", bytesStored: 3, sha256: "aa")) })
        #expect(success.storedDestinations == ["a", "b"])
        let stopped = RunOutcome(status: .interrupted, endedAt: Date(), error: "stopped").completingLanes(destinations)
        #expect(stopped.destinations.allSatisfy { $0.status == .interrupted && $0.error == "stopped" } && stopped.storedDestinations.isEmpty)
        var partial = RunOutcome(status: .partial, endedAt: Date())
        partial.destinations = [
            DestinationOutcome(destination: "a", state: .stored(LaneReceipt(objectKey: "k", bytesStored: 1, sha256: nil))),
            DestinationOutcome(destination: "b", state: .failed(LaneFailure(reason: "refused"))),
        ]
        #expect(partial.completingLanes(destinations) == partial && partial.storedDestinations == ["a"])
    }
}
