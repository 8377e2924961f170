import Foundation

/// Removes `DEFINER=`user`@`host`` from the DDL lines of a MySQL/MariaDB dump as it streams
/// through, so views, triggers, routines and events are created with the restoring user as their
/// definer: without SUPER (or SET USER / SET_USER_ID) a server refuses any other definer (ERROR 1227).
/// Only lines that start like DDL (`CREATE`, `/*!`) are held, each up to `maxLine` bytes; data lines
/// (`INSERT ...`, however long) pass through unbuffered, so memory stays bounded.
final class DefinerFilter {
    /// The longest DDL line rewritten; a longer one passes through unchanged.
    static let maxLine = 1 << 20
    private let downstream: (UnsafeRawBufferPointer) throws -> Void
    private enum State { case lineStart, holding, passing }
    private var state = State.lineStart
    private var line: [UInt8] = []

    /// Passes the filtered stream to `downstream`.
    init(downstream: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.downstream = downstream
    }

    /// Takes the next bytes of the dump.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var index = 0
        var passStart = 0
        func flushPass(upTo end: Int) throws {
            if end > passStart { try downstream(UnsafeRawBufferPointer(rebasing: bytes[passStart..<end])) }
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch state {
            case .passing:
                if byte == 0x0A { state = .lineStart }
                index += 1
            case .lineStart:
                try flushPass(upTo: index)
                state = .holding
                line.removeAll(keepingCapacity: true)
            case .holding:
                line.append(byte)
                index += 1
                if byte == 0x0A {
                    try emitLine()
                    state = .lineStart
                    passStart = index
                } else if !Self.couldBeDDL(line) || line.count > Self.maxLine {
                    try line.withUnsafeBytes { try downstream($0) }
                    line.removeAll(keepingCapacity: true)
                    state = .passing
                    passStart = index
                } else {
                    passStart = index
                }
            }
        }
        if state != .holding { try flushPass(upTo: bytes.count) }
    }

    /// Passes on a last line without a newline.
    func finish() throws {
        if state == .holding { try emitLine() }
        state = .lineStart
    }

    private func emitLine() throws {
        let text = String(decoding: line, as: UTF8.self)
        if text.contains("DEFINER=") {
            let stripped = text.replacingOccurrences(of: #" ?DEFINER=`(?:[^`]|``)*`@`(?:[^`]|``)*`"#, with: "", options: .regularExpression)
            try Array(stripped.utf8).withUnsafeBytes { try downstream($0) }
        } else {
            try line.withUnsafeBytes { try downstream($0) }
        }
        line.removeAll(keepingCapacity: true)
    }

    /// Whether a line that starts with `prefix` may be DDL with a definer: it starts (so far)
    /// like `CREATE` or a versioned comment `/*!`.
    static func couldBeDDL(_ prefix: [UInt8]) -> Bool {
        for marker in [Array("CREATE".utf8), Array("/*!".utf8)] {
            let n = min(prefix.count, marker.count)
            if prefix[..<n].elementsEqual(marker[..<n]) { return true }
        }
        return false
    }
}
