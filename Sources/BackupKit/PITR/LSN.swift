/// A PostgreSQL write-ahead log position (`0/2000028`), and the 16 MiB segment files it falls in.
public struct LSN: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The position as one 64-bit number.
    public var value: UInt64

    /// The bytes of one WAL segment (PostgreSQL's default `wal_segment_size`).
    public static let segmentSize: UInt64 = 16 * 1024 * 1024

    /// The position `value`.
    public init(_ value: UInt64) { self.value = value }

    /// Parses `X/Y` (two hex numbers, as PostgreSQL prints them); nil for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...8).contains(parts[0].count), (1...8).contains(parts[1].count),
              let high = UInt64(parts[0], radix: 16), let low = UInt64(parts[1], radix: 16) else { return nil }
        value = high << 32 | low
    }

    public var description: String {
        String(value >> 32, radix: 16, uppercase: true) + "/" + String(value & 0xFFFF_FFFF, radix: 16, uppercase: true)
    }

    /// The name of the segment file holding this position on `timeline` (`000000010000000000000002`).
    public func segmentName(timeline: UInt32) -> String {
        let segment = value / Self.segmentSize
        let perID = 0x1_0000_0000 / Self.segmentSize
        return Self.hex8(UInt64(timeline)) + Self.hex8(segment / perID) + Self.hex8(segment % perID)
    }

    static func hex8(_ value: UInt64) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 8 - text.count)) + text
    }

    public static func < (lhs: LSN, rhs: LSN) -> Bool { lhs.value < rhs.value }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let lsn = LSN(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\"\(text)\" is not an LSN such as \"0/2000028\""))
        }
        self = lsn
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
