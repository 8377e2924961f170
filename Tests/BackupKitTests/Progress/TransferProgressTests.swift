import BackupTestSupport
import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A clock the test moves by hand and the text written so far.
private final class Terminal: @unchecked Sendable {
    private let lock = NSLock()
    private var time = 100.0
    private var text = ""
    var now: Double { lock.withLock { time } }
    var output: String { lock.withLock { text } }
    func advance(_ seconds: Double) { lock.withLock { time += seconds } }
    func write(_ part: String) { lock.withLock { text += part } }
    /// The lines drawn in place (between the clearing sequences), without the messages.
    var drawn: [String] {
        output.components(separatedBy: TransferProgress.clear).filter { !$0.isEmpty && !$0.hasSuffix("\n") }
    }
}

private func meter(_ terminal: Terminal, total: TransferProgress.Total? = nil) -> TransferProgress {
    TransferProgress(label: "restoring", total: total, interval: 0.25, now: { terminal.now }, write: { terminal.write($0) })
}

@Suite("TransferProgress", .ownThreads)
struct TransferProgressTests {
    /// With the manifest's size known, the line shows bytes, share, rate, elapsed and the time left.
    @Test func exactTotalShowsShareRateAndETA() {
        let terminal = Terminal()
        let progress = meter(terminal, total: .exact(40 << 20))
        terminal.advance(3)
        progress.add(12 << 20)
        #expect(terminal.drawn == ["restoring 12.0 MiB of 40.0 MiB (30%), 4.0 MiB/s, 0:03 elapsed, about 0:07 left"])
    }

    /// Redraws come at most every interval, however often bytes arrive; `tick` redraws the elapsed
    /// time when no bytes move.
    @Test func redrawsAreThrottled() {
        let terminal = Terminal()
        let progress = meter(terminal)
        for _ in 0..<100 {
            progress.add(1024)
            terminal.advance(0.01)
        }
        // 1 s of updates every 10 ms: the first, then one per 250 ms.
        #expect(terminal.drawn.count == 4)
        terminal.advance(5)
        progress.tick()
        #expect(terminal.drawn.last == "restoring 100.0 KiB, 16.7 KiB/s, 0:06 elapsed")
    }

    /// An estimate is shown with `~` and dropped once it is passed (no negative time left).
    @Test func estimateIsMarkedAndDroppedWhenPassed() {
        let terminal = Terminal()
        let progress = meter(terminal, total: .estimate(2048))
        terminal.advance(1)
        progress.add(1024)
        terminal.advance(1)
        progress.add(2048)
        #expect(terminal.drawn == ["restoring 1.0 KiB of ~2.0 KiB, 1.0 KiB/s, 0:01 elapsed, about 0:01 left", "restoring 3.0 KiB, 1.5 KiB/s, 0:02 elapsed"])
    }

    /// `finish` clears the line, and nothing is drawn after it; a message goes above the line.
    @Test func finishClearsAndMessagesGoAbove() {
        let terminal = Terminal()
        let progress = meter(terminal)
        progress.add(10)
        progress.message("uploading s3://b/k")
        #expect(terminal.output.hasSuffix("\u{1B}[Kuploading s3://b/k\n" + TransferProgress.clear + "restoring 10 B, 0 B/s, 0:00 elapsed"))
        progress.finish()
        #expect(terminal.output.hasSuffix(TransferProgress.clear))
        let before = terminal.output
        terminal.advance(10)
        progress.add(10)
        progress.tick()
        #expect(terminal.output == before)
    }

    /// Times are m:ss below an hour and h:mm:ss above.
    @Test(arguments: [(0.4, "0:00"), (7.9, "0:07"), (754, "12:34"), (3723, "1:02:03")])
    func clock(seconds: Double, text: String) {
        #expect(TransferProgress.clock(seconds) == text)
    }

    /// Through the store decorator a download is measured against its object's size from the
    /// manifest read before it, and a second read of the same object starts again at 0.
    @Test func storeMeasuresDownloadsAgainstTheManifest() async throws {
        let store = MemoryObjectStore()
        var manifest = sampleManifest()
        let key = manifest.objects[0].key
        manifest.objects[0].size = 4096
        _ = try await store.createObject(key: key, body: [UInt8](repeating: 7, count: 4096), contentType: "application/octet-stream")
        let manifestKey = "pg/\(manifest.backupId).manifest.json"
        _ = try await store.createObject(key: manifestKey, body: try manifest.encoded(), contentType: "application/json")
        let terminal = Terminal()
        let progress = meter(terminal)
        let provider = ProgressStoreProvider(store, progress: progress, measure: .object)
        let counted = try provider.store(for: try #require(sampleDestination()))
        await #expect(try BackupManifest.parse(try counted.read(key: manifestKey), key: manifestKey) == manifest)
        #expect(terminal.drawn.isEmpty, "the manifest itself is not counted")
        for _ in 0..<2 {
            terminal.advance(1)
            var received = 0
            try await counted.download(key: key) { received += $0.count }
            #expect(received == 4096)
            progress.tick()
        }
        #expect(terminal.drawn.last?.hasPrefix("restoring 4.0 KiB of 4.0 KiB (100%), 4.0 KiB/s, 0:02 elapsed") == true)
    }

    /// An upload counts the bytes the store reads from the source, against the runner's estimate.
    @Test func storeCountsUploadsAgainstTheEstimate() async throws {
        let store = MemoryObjectStore()
        let terminal = Terminal()
        let progress = meter(terminal)
        let counted = try ProgressStoreProvider(store, progress: progress, measure: .object).store(for: try #require(sampleDestination()))
        terminal.advance(2)
        let source = BytesSource([UInt8](repeating: 1, count: 3000))
        let receipt = try await counted.uploadStream(
            key: "x/a.dump", from: source, metadata: [:], expectedSize: 6000, uploadStarted: { _ in })
        #expect(receipt.size == 3000)
        terminal.advance(1)
        progress.tick()
        #expect(terminal.drawn.last == "restoring 2.9 KiB of ~5.9 KiB, 1000 B/s, 0:03 elapsed, about 0:03 left")
    }
}

/// A destination for the in-memory store (which ignores it).
private func sampleDestination() -> DestinationConfig? {
    DestinationConfig(
        name: "local", endpoint: URL(string: "https://s3.example.com")!, region: "us-east-1", bucket: "backups",
        accessKeyId: Secret("AKIDEXAMPLE"), secretAccessKey: Secret("secret"), sessionToken: nil, pathStyle: true,
        allowInsecureHTTP: false, caFile: nil, maxParts: 10_000, partSize: 5 << 20, partsInFlight: 1)
}
