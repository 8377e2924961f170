import Foundation
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// In-memory config sources: an environment, a set of files and their modes.
struct FakeFiles: Sendable {
    var environment: [String: String] = [:]
    var files: [String: String] = [:]
    var modes: [String: Int] = [:]

    var sources: ConfigSources {
        let files = self.files
        let modes = self.modes
        return ConfigSources(
            environment: environment,
            readFile: { path in
                guard let text = files[path] else { throw CocoaError(.fileReadNoSuchFile) }
                return Array(text.utf8)
            },
            permissions: { modes[$0] ?? 0o600 },
            isReadable: { files[$0] != nil })
    }
}

/// A valid config as a JSON string, with `edit` applied to its parsed form first.
func configText(_ edit: (inout [String: Any]) -> Void = { _ in }) -> String {
    var root: [String: Any] = [
        "timeZone": "Europe/Berlin",
        "destinations": [[
            "name": "local", "endpoint": "http://127.0.0.1:9000", "region": "us-east-1",
            "bucket": "backups", "accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "s3cr3t-Literal-Value",
        ]],
        "jobs": [[
            "name": "app-db", "engine": "postgres", "schedule": "30 2 * * *", "destination": "local",
            "prefix": "pg/app",
            "connection": ["host": "127.0.0.1", "username": "backup", "password": "pg-Pa55word", "database": "app"],
        ]],
    ]
    edit(&root)
    let data = try! JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

/// Mutates the first job of a config dictionary.
func editJob(_ root: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
    var jobs = root["jobs"] as! [[String: Any]]
    edit(&jobs[0])
    root["jobs"] = jobs
}

/// Mutates the first destination of a config dictionary.
func editDestination(_ root: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
    var list = root["destinations"] as! [[String: Any]]
    edit(&list[0])
    root["destinations"] = list
}

/// Loads text as `/etc/backupd/config.json` and returns the problems (empty when valid).
func problems(_ text: String, files: FakeFiles = FakeFiles()) -> [ConfigProblem] {
    var files = files
    files.files["/etc/backupd/config.json"] = text
    do {
        _ = try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources)
        return []
    } catch {
        return error.problems
    }
}

/// Adds a second destination, "archive" (bucket "archive-bucket"), a copy of the first otherwise.
func addArchiveDestination(_ root: inout [String: Any]) {
    var list = root["destinations"] as! [[String: Any]]
    var archive = list[0]
    archive["name"] = "archive"
    archive["bucket"] = "archive-bucket"
    list.append(archive)
    root["destinations"] = list
}
