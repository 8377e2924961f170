/// The parts of a TZif file (RFC 8536, versions 1-4) that time conversion needs: transition
/// instants with the UTC offset from each, the offset before the first, and the TZ footer.
struct TZifFile: Sendable {
    /// Transition instants (seconds since 1970), ascending.
    var transitions: [Int] = []
    /// `offsets[i]` is the UTC offset in effect from `transitions[i]`.
    var offsets: [Int] = []
    /// The UTC offset before the first transition (time type 0).
    var initialOffset = 0
    /// The POSIX TZ string for instants after the last transition (v2+), nil if absent or empty.
    var footer: String?

    /// Why bytes are not a usable TZif file.
    struct Failure: Error {
        var reason: String
    }

    /// Parses `bytes`; uses the 64-bit section when the file has one.
    init(bytes: [UInt8]) throws(Failure) {
        var reader = Reader(bytes: bytes)
        let header = try reader.header()
        guard header.version == 0 else {
            try reader.skip(header.dataLength(timeSize: 4))
            let header64 = try reader.header()
            try read(header64, timeSize: 8, from: &reader)
            guard try reader.byte() == UInt8(ascii: "\n") else { throw Failure(reason: "the TZ footer is missing") }
            var footerBytes: [UInt8] = []
            while true {
                let b = try reader.byte()
                if b == UInt8(ascii: "\n") { break }
                footerBytes.append(b)
            }
            footer = footerBytes.isEmpty ? nil : String(decoding: footerBytes, as: UTF8.self)
            return
        }
        try read(header, timeSize: 4, from: &reader)
    }

    private mutating func read(_ header: Header, timeSize: Int, from reader: inout Reader) throws(Failure) {
        guard header.leapCount == 0 else {
            throw Failure(reason: "it lists leap seconds (a \"right/\" zone); use the zone without the right/ prefix")
        }
        guard header.typeCount > 0, header.charCount > 0 else { throw Failure(reason: "it has no local time types") }
        var times: [Int] = []
        times.reserveCapacity(header.timeCount)
        for _ in 0..<header.timeCount { times.append(timeSize == 8 ? try reader.int64() : try reader.int32()) }
        var typeIndices: [Int] = []
        for _ in 0..<header.timeCount {
            let index = Int(try reader.byte())
            guard index < header.typeCount else { throw Failure(reason: "a transition names a missing local time type") }
            typeIndices.append(index)
        }
        var typeOffsets: [Int] = []
        for _ in 0..<header.typeCount {
            let offset = try reader.int32()
            guard (-89_999...93_599).contains(offset) else { throw Failure(reason: "a UTC offset is out of range") }
            typeOffsets.append(offset)
            try reader.skip(2)  // isdst, designation index
        }
        try reader.skip(header.charCount + header.isStdCount + header.isUTCCount)
        for i in 1..<max(times.count, 1) where times[i] <= times[i - 1] {
            throw Failure(reason: "its transitions are not in ascending order")
        }
        initialOffset = typeOffsets[0]
        // zic may start with a "big bang" transition at -2^59; anything that early just sets the
        // offset before all time. Transitions millions of years ahead mean a corrupt file.
        let limit = ZoneRules.limit
        guard times.last.map({ $0 < limit }) ?? true else {
            throw Failure(reason: "its transition times are implausible")
        }
        var first = 0
        while first < times.count, times[first] <= -limit {
            initialOffset = typeOffsets[typeIndices[first]]
            first += 1
        }
        transitions = Array(times[first...])
        offsets = typeIndices[first...].map { typeOffsets[$0] }
    }

    /// The counts that open each data section.
    private struct Header {
        var version: UInt8
        var isUTCCount, isStdCount, leapCount, timeCount, typeCount, charCount: Int

        func dataLength(timeSize: Int) -> Int {
            timeCount * timeSize + timeCount + typeCount * 6 + charCount + leapCount * (timeSize + 4)
                + isStdCount + isUTCCount
        }
    }

    /// Big-endian reads with bounds checks.
    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        mutating func byte() throws(Failure) -> UInt8 {
            guard index < bytes.count else { throw Failure(reason: "it is truncated") }
            defer { index += 1 }
            return bytes[index]
        }

        mutating func skip(_ count: Int) throws(Failure) {
            guard count >= 0, count <= bytes.count - index else { throw Failure(reason: "it is truncated") }
            index += count
        }

        mutating func uint32() throws(Failure) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 { value = value << 8 | UInt32(try byte()) }
            return value
        }

        mutating func int32() throws(Failure) -> Int { Int(Int32(bitPattern: try uint32())) }

        mutating func int64() throws(Failure) -> Int {
            let high = UInt64(try uint32()), low = UInt64(try uint32())
            return Int(Int64(bitPattern: high << 32 | low))
        }

        mutating func header() throws(Failure) -> Header {
            guard bytes.count - index >= 4, bytes[index..<index + 4].elementsEqual("TZif".utf8) else {
                throw Failure(reason: index == 0 ? "it is not a TZif time zone file" : "it is truncated")
            }
            guard bytes.count - index >= 44 else { throw Failure(reason: "it is truncated") }
            index += 4
            let version = try byte()
            guard version == 0 || (UInt8(ascii: "2")...UInt8(ascii: "9")).contains(version) else {
                throw Failure(reason: "its TZif version is unknown")
            }
            try skip(15)
            let counts = try (0..<6).map { (_: Int) throws(Failure) -> Int in
                let count = try uint32()
                guard count <= 1_000_000 else { throw Failure(reason: "its header counts are implausible") }
                return Int(count)
            }
            return Header(version: version, isUTCCount: counts[0], isStdCount: counts[1], leapCount: counts[2],
                          timeCount: counts[3], typeCount: counts[4], charCount: counts[5])
        }
    }
}
