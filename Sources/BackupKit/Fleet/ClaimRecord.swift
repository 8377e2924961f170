import Foundation

/// Where a claim is in its life: the winner runs, then re-validates before its manifest, then ends.
public enum ClaimState: String, Codable, Sendable, CaseIterable {
    /// The holder is running the slot and renews the lease.
    case running
    /// The holder re-validated its claim and is writing the manifest.
    case completing
    /// The slot's run ended (whatever its outcome); nobody takes it over.
    case done
}

/// The claim object of one job and slot, as stored at `ClaimKey` (JSON, format 1).
///
/// Times are whole seconds in UTC; `leaseExpiresAt` is computed from the server's `Date`, never
/// from the host's clock, so hosts with skewed clocks agree on when a lease ran out.
public struct ClaimRecord: Codable, Sendable, Equatable {
    /// The JSON format; a reader refuses others.
    public var format: Int
    /// The job's name.
    public var job: String
    /// The slot: the scheduled time, `ClaimKey.slotText` (e.g. 20261207T010000Z).
    public var slot: String
    /// The host holding the claim (`hostId` of its config).
    public var hostId: String
    /// The holder's process id (for people reading the bucket).
    public var pid: Int32
    /// When the holder started the slot (server time).
    public var startedAt: Date
    /// When the lease runs out unless renewed (server time).
    public var leaseExpiresAt: Date
    /// 1 for the first claim, one more for every takeover; recorded in the manifest.
    public var fencing: Int
    /// Where the claim is in its life.
    public var state: ClaimState
    /// The host whose expired claim this one took over, if any.
    public var takenOverFrom: String?
    /// The backup id of the holder's run (`{job}-{stamp}-{token}`), written before its first
    /// upload: every object and multipart upload of the run, at every destination, starts with it,
    /// so a host that takes the slot over can abort the uploads the stale holder left open.
    public var backupId: String? = nil

    /// The current format.
    public static let currentFormat = 1

    /// Describes a claim.
    public init(
        job: String, slot: String, hostId: String, pid: Int32, startedAt: Date, leaseExpiresAt: Date, fencing: Int,
        state: ClaimState, takenOverFrom: String? = nil
    ) {
        self.format = ClaimRecord.currentFormat
        self.job = job
        self.slot = slot
        self.hostId = hostId
        self.pid = pid
        self.startedAt = startedAt
        self.leaseExpiresAt = leaseExpiresAt
        self.fencing = fencing
        self.state = state
        self.takenOverFrom = takenOverFrom
    }

    /// The stored bytes: sorted keys, ISO 8601 seconds in UTC.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        // Encoding a struct of strings, ints and dates cannot fail.
        return Array((try? encoder.encode(self)) ?? Data())
    }

    /// Reads stored bytes; throws `ClaimError.malformed` naming `key` and what is wrong.
    public static func decode(_ bytes: [UInt8], key: String) throws(ClaimError) -> ClaimRecord {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let record: ClaimRecord
        do {
            record = try decoder.decode(ClaimRecord.self, from: Data(bytes))
        } catch {
            throw .malformed(key: key, detail: "not a claim object (\(error))")
        }
        guard record.format == currentFormat else {
            throw .malformed(key: key, detail: "format \(record.format); this backupd reads format \(currentFormat) (upgrade every host)")
        }
        guard !record.hostId.isEmpty, record.fencing >= 1 else {
            throw .malformed(key: key, detail: "hostId empty or fencing \(record.fencing) below 1")
        }
        return record
    }
}
