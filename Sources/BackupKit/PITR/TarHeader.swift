/// One 512-byte ustar header block, as `pg_basebackup --format=tar` writes them.
struct TarHeader: Equatable {
    /// The member's path (the ustar prefix joined with the name).
    var name: String
    /// The content's size in bytes.
    var size: Int64
    /// `0` (or NUL) for a file, `5` a directory, `2` a symbolic link, others as ustar defines.
    var type: UInt8
    /// The permission bits.
    var mode: UInt32
    /// A link's target.
    var linkName: String

    /// The size of a block.
    static let blockSize = 512

    /// Whether the block is all zeros (the end-of-archive marker is two of them).
    static func isZero(_ block: UnsafeRawBufferPointer) -> Bool { block.allSatisfy { $0 == 0 } }

    /// Parses a header block; a description of what is wrong otherwise (a bad checksum, a bad size).
    static func parse(_ block: UnsafeRawBufferPointer) -> Result<TarHeader, TarFormatError> {
        precondition(block.count == blockSize)
        let stored = octal(block, 148, 8)
        var sum: UInt64 = 0
        for (index, byte) in block.enumerated() { sum += (148..<156).contains(index) ? 32 : UInt64(byte) }
        guard let stored, stored == sum else { return .failure(.init(detail: "a header block's checksum does not match: this is not a tar stream, or it is damaged")) }
        let size: Int64
        if block[124] & 0x80 != 0 {
            // GNU base-256 for sizes of 8 GiB and more.
            size = (125..<136).reduce(Int64(0)) { $0 << 8 | Int64(block[$1]) }
        } else if let octalSize = octal(block, 124, 12) {
            size = Int64(octalSize)
        } else {
            return .failure(.init(detail: "a header's size field is not a number"))
        }
        var name = text(block, 0, 100)
        let prefix = text(block, 345, 155)
        if !prefix.isEmpty, Array(block[257..<262]) == Array("ustar".utf8) { name = prefix + "/" + name }
        return .success(TarHeader(
            name: name, size: size, type: block[156], mode: UInt32(octal(block, 100, 8) ?? 0o600), linkName: text(block, 157, 100)))
    }

    /// Blocks the content takes, padding included.
    var paddedSize: Int64 { (size + Int64(Self.blockSize) - 1) / Int64(Self.blockSize) * Int64(Self.blockSize) }

    private static func octal(_ block: UnsafeRawBufferPointer, _ offset: Int, _ length: Int) -> UInt64? {
        let digits = block[offset..<(offset + length)].prefix { $0 != 0 && $0 != 32 }.drop { $0 == 32 }
        guard !digits.isEmpty else { return 0 }
        var value: UInt64 = 0
        for digit in digits {
            guard (48...55).contains(digit) else { return nil }
            value = value << 3 | UInt64(digit - 48)
        }
        return value
    }

    private static func text(_ block: UnsafeRawBufferPointer, _ offset: Int, _ length: Int) -> String {
        String(decoding: block[offset..<(offset + length)].prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// A tar stream is not well formed.
struct TarFormatError: Error, Hashable {
    var detail: String
}
