import Foundation
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A directory of fake dump tools to put first on backupd's PATH: each answers everything but the
/// dump itself (`--version`, `INFO`) by running the real tool, and for the dump exits 0 after
/// writing `output` (nothing, or bytes of the wrong format).
struct FakeDumpTool {
    let directory: String

    /// Fakes `tools` (names on the real PATH), recognising the dump by `dumpArgument` on its argv.
    init(tools: [String], dumpArgument: String, output: String) throws {
        directory = FileManager.default.temporaryDirectory.path + "/backupd-fake-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = Pipeline.defaultEnvironment["PATH"] ?? "/usr/bin:/bin"
        for tool in tools {
            guard let real = path.split(separator: ":").map({ "\($0)/\(tool)" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                continue
            }
            let printed = output.isEmpty ? "" : "printf '%s' '\(output)'\n"
            let script = """
                #!/bin/sh
                case " $* " in
                  *" \(dumpArgument) "*) ;;
                  *) exec \(real) "$@" ;;
                esac
                \(printed)exit 0

                """
            let file = directory + "/" + tool
            try script.write(toFile: file, atomically: true, encoding: .utf8)
            chmod(file, 0o755)
        }
    }

    /// backupd's environment with the fakes first on PATH.
    var environment: [String: String] {
        var environment = Pipeline.defaultEnvironment
        environment["PATH"] = directory + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        return environment
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
