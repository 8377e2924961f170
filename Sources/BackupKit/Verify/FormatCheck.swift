import BackupCore
import BackupEngines

/// Checks the decompressed content of one object in the engine's own format, fed as it streams.
protocol FormatCheck: AnyObject {
    /// What the check is, for reports (`pg_restore --list`).
    var name: String { get }

    /// Takes the next decompressed bytes.
    func write(_ bytes: UnsafeRawBufferPointer) throws

    /// Ends the input; returns nil when the content is valid, else what is wrong.
    func finish() async -> String?
}

/// No format check: `command` jobs (and their like) are checked by digest only.
final class DigestOnlyCheck: FormatCheck {
    let name: String
    init(name: String = "digest only") { self.name = name }
    func write(_ bytes: UnsafeRawBufferPointer) throws {}
    func finish() -> String? { nil }
}

/// The content must end with a marker near its end (mysqldump's `-- Dump completed`).
final class TrailerCheck: FormatCheck {
    let marker: String
    private var tail: [UInt8] = []
    private let keep = 4096
    var name: String { "trailer \"\(marker)\"" }

    init(marker: String) { self.marker = marker }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        tail.append(contentsOf: bytes.count > keep ? UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - keep)...]) : bytes)
        if tail.count > keep * 2 { tail.removeFirst(tail.count - keep) }
    }

    func finish() -> String? {
        let text = String(decoding: tail.suffix(keep), as: UTF8.self)
        return text.contains(marker) ? nil : "the content does not end with \"\(marker)\": the dump is incomplete"
    }
}

/// The content goes into a checking tool's standard input (`pg_restore --list`,
/// `redis-check-rdb /dev/stdin`); the tool's exit decides. A tool that stops reading early (it has
/// seen what it needs) is fine: the rest is still read for the digest.
final class ToolCheck: FormatCheck {
    let name: String
    /// The tool (killed when the verification is stopped).
    let process: any RunningProcess
    private var stoppedReading = false

    init(name: String, argv: [String], environment: [String: String], launcher: any ProcessLauncher) throws {
        self.name = name
        process = try launcher.launch(ProcessSpec(argv: argv, environment: environment, input: .pipe, captureOutput: false))
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !stoppedReading else { return }
        do {
            try process.writeInput(bytes)
        } catch {
            stoppedReading = true
        }
    }

    func finish() async -> String? {
        process.closeInput()
        let exit = await process.ended()
        if exit.succeeded { return nil }
        let detail = FailureClassifier.lastLine(process.stderrTail())
        return "\(name) rejected the content (\(exit))\(detail.isEmpty ? "" : ": \(detail)")"
    }

    /// Stops the tool (the object could not be read).
    func abandon() async {
        process.kill()
        process.closeInput()
        _ = await process.ended()
    }
}
