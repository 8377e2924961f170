import BackupEngines

/// Applies a `DumpCheck` to a dump's uncompressed bytes as they stream by, in constant memory:
/// the first 16 bytes, the last 4 KiB (a trailer) or 48 bytes (an RDB's checksum and the EOF mark
/// that `redis-cli --rdb -` leaves after it), a running CRC-64 for an RDB, and the count. `finish` says what is wrong, or nil when the dump looks like one.
final class DumpInspector {
    /// How much of the end is kept for a trailer: mysqldump's last line and a dump date fit easily.
    static let trailerWindow = 4096
    private static let headSize = 16
    /// An RDB's 8-byte checksum plus the 40-byte diskless-sync EOF mark redis-cli 7 writes after it
    /// when its output is a pipe (it can only truncate the mark off a file).
    private static let rdbTail = 48
    private static let eofMarkSize = 40

    let check: DumpCheck
    private(set) var count: Int64 = 0
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    private let tailSize: Int
    private var crc = CRC64Jones()
    /// The last byte fed to the CRC (the RDB's EOF opcode once the 8 checksum bytes are held back).
    private var lastChecksummed: UInt8?
    /// The base backup's own check (`.postgresBaseTar` only).
    let baseBackup: BaseBackupInspector?

    /// An inspector for `check`.
    init(_ check: DumpCheck) {
        self.check = check
        switch check {
        case .trailer: tailSize = Self.trailerWindow
        case .redisRDB: tailSize = Self.rdbTail
        default: tailSize = 0
        }
        tail.reserveCapacity(tailSize * 2)
        baseBackup = check == .postgresBaseTar ? BaseBackupInspector() : nil
    }

    /// Takes the next bytes of the dump.
    func write(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        count += Int64(bytes.count)
        baseBackup?.write(bytes)
        if head.count < Self.headSize { head += bytes.prefix(Self.headSize - head.count) }
        guard tailSize > 0 else { return }
        if case .redisRDB = check {
            // Everything but the last 48 bytes goes through the CRC; `finish` decides which of those
            // are content, checksum and mark.
            let total = tail.count + bytes.count
            guard total > tailSize else {
                tail += bytes
                return
            }
            let flush = total - tailSize
            let fromTail = min(flush, tail.count)
            if fromTail > 0 {
                tail.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[..<fromTail])) }
                lastChecksummed = tail[fromTail - 1]
            }
            let fromBytes = flush - fromTail
            if fromBytes > 0 {
                crc.update(UnsafeRawBufferPointer(rebasing: bytes[..<fromBytes]))
                lastChecksummed = bytes[fromBytes - 1]
            }
            tail.removeFirst(fromTail)
            tail += bytes[fromBytes...]
        } else {
            if bytes.count >= tailSize {
                tail = Array(bytes.suffix(tailSize))
            } else {
                tail += bytes
                if tail.count > tailSize * 2 { tail.removeFirst(tail.count - tailSize) }
            }
        }
    }

    /// Bytes held for the checks (the head and the tail window), for the memory bound's test.
    var heldBytes: Int { head.count + tail.count }

    /// What is wrong with the whole dump, or nil when it passes. `tool` names the dump tool.
    func finish(tool: String) -> String? {
        if count == 0 {
            if case .none = check { return nil }
            return "\(tool) exited 0 but wrote nothing" + (check == .nonEmpty ? "" : " (expected \(check.expectation))")
        }
        switch check {
        case .none, .nonEmpty:
            return nil
        case .postgresCustom:
            guard head.starts(with: DumpCheck.pgdmp) else {
                return "\(tool) exited 0 but wrote no PGDMP header (its \(count) bytes begin with \(Self.shown(head)))"
            }
            return nil
        case .mongoArchive:
            guard head.starts(with: DumpCheck.mongoMagic) else {
                return "\(tool) exited 0 but its output lacks the mongodump archive magic (it begins with \(Self.shown(head)))"
            }
            return nil
        case .trailer(let marker):
            let text = String(decoding: tail.suffix(tailSize), as: UTF8.self)
            guard text.contains(marker) else {
                return "\(tool) exited 0 but its output lacks the \"\(marker)\" trailer: the dump is incomplete"
            }
            return nil
        case .redisRDB:
            return rdbProblem(tool: tool)
        case .postgresBaseTar:
            return baseBackup?.finish(tool: tool)
        }
    }

    private func rdbProblem(tool: String) -> String? {
        let magic = Array("REDIS".utf8)
        guard head.count >= 9, head.starts(with: magic), let version = Int(String(decoding: head[5..<9], as: UTF8.self)) else {
            return "\(tool) exited 0 but wrote no RDB file (no REDIS magic; it begins with \(Self.shown(head)))"
        }
        // RDB 5 and later end with EOF (0xFF) and a CRC-64 (all zeros when rdbchecksum is off).
        guard version >= 5 else {
            return (tail.last == 0xFF) ? nil : "\(tool) exited 0 but its RDB file (version \(version)) lacks the EOF marker: it is truncated"
        }
        // Ends with EOF and the checksum; or, from a pipe, with those and redis-cli's 40-character EOF mark.
        let hex = Array("0123456789abcdef".utf8)
        let marked = tail.count == Self.rdbTail && lastChecksummed == 0xFF && tail.suffix(Self.eofMarkSize).allSatisfy(hex.contains)
        let end = marked ? 8 : tail.count
        guard marked || end >= 9 else {
            return "\(tool) exited 0 but its RDB file lacks the EOF marker and checksum: it is truncated"
        }
        var content = crc
        if !marked { tail.withUnsafeBytes { content.update(UnsafeRawBufferPointer(rebasing: $0[..<(end - 8)])) } }
        let eof = marked ? lastChecksummed : tail[end - 9]
        guard eof == 0xFF, count >= 18 else {
            return "\(tool) exited 0 but its RDB file lacks the EOF marker and checksum: it is truncated"
        }
        let stored = tail[(end - 8)..<end].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard stored == 0 || stored == content.value else {
            return "\(tool) exited 0 but its RDB file's checksum does not match its content (stored \(Self.hex(stored)), computed \(Self.hex(content.value)))"
        }
        return nil
    }

    /// The first bytes as text when printable, else as hex.
    static func shown(_ bytes: [UInt8]) -> String {
        let printable = bytes.allSatisfy { (0x20..<0x7F).contains($0) || $0 == 0x0A || $0 == 0x09 }
        if printable { return "\"" + String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\n", with: "\\n") + "\"" }
        return "0x" + bytes.map { String($0, radix: 16).leftPadded(2) }.joined()
    }

    private static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16).leftPadded(16) }
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
