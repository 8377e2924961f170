/// CRC-64 with the Jones polynomial as Redis computes it over an RDB file (reflected, initial 0,
/// no final xor; "123456789" gives 0xe9c6d914c4b8d9ca), fed incrementally.
struct CRC64Jones {
    private static let table: [UInt64] = (0..<256).map { index in
        var crc = UInt64(index)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x95AC_9329_AC4B_C9B5 : crc >> 1 }
        return crc
    }

    /// The checksum of everything fed so far.
    private(set) var value: UInt64 = 0

    /// Feeds `bytes`.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var crc = value
        Self.table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int(UInt8(truncatingIfNeeded: crc) ^ byte)] ^ (crc >> 8) }
        }
        value = crc
    }
}
