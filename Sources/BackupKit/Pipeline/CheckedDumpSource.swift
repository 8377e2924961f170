import BackupCore
import BackupEngines

/// A dump tool's output passed through unchanged while a `DumpInspector` looks at it. At the end
/// of the stream it throws `DumpCheckError` instead of reporting the end when the dump does not
/// look like one, so the upload fed by it aborts (nothing is completed, no manifest is written).
final class CheckedDumpSource: ByteSource {
    private let upstream: any ByteSource
    private let inspector: DumpInspector
    private let job: String
    private let tool: String

    /// Checks `upstream` (uncompressed, unencrypted) with `check`.
    init(_ upstream: any ByteSource, check: DumpCheck, job: String, tool: String) {
        self.upstream = upstream
        inspector = DumpInspector(check)
        self.job = job
        self.tool = tool
    }

    /// The base backup's start and stop once the stream passed its check (`.postgresBaseTar`).
    var baseBackup: BaseBackupInfo? { inspector.baseBackup?.info }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try upstream.read(into: buffer)
        if n > 0 {
            inspector.write(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            return n
        }
        if let problem = inspector.finish(tool: tool) {
            throw DumpCheckError(job: job, problem: problem)
        }
        return 0
    }
}

/// A dump tool exited 0 but its output does not look like a dump of its engine.
public struct DumpCheckError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The job's name.
    public var job: String
    /// What is wrong (`pg_dump exited 0 but wrote no PGDMP header (...)`).
    public var problem: String

    public var description: String {
        "job \(job): \(problem); the upload was aborted and no manifest written, so this is not a backup (check the tool, its server and its permissions)"
    }
}
