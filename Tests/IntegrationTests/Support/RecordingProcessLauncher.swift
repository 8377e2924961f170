import Synchronization
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// The live launcher that also keeps every spec it launched, so tests can check argv.
final class RecordingProcessLauncher: ProcessLauncher {
    private let inner = PosixProcessLauncher()
    private let recorded = Mutex<[ProcessSpec]>([])

    /// Everything launched so far.
    var specs: [ProcessSpec] { recorded.withLock { $0 } }

    func locate(_ program: String, path: String) -> String? { inner.locate(program, path: path) }

    func launch(_ spec: ProcessSpec) throws -> any RunningProcess {
        recorded.withLock { $0.append(spec) }
        return try inner.launch(spec)
    }
}
