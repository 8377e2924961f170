import BackupCore
import BackupKit
import Foundation

/// Validates a document against one of docs/schemas/*.schema.json with Python's `jsonschema`
/// (Draft 2020-12), in a child process: the empty list when it is valid, else each error with its path.
enum JSONSchemaValidator {
    /// docs/schemas in the repository these tests were built from.
    static let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/schemas").path

    private static let script = """
        import json, sys
        from jsonschema import Draft202012Validator
        schema = json.load(open(sys.argv[1]))
        Draft202012Validator.check_schema(schema)
        document = json.loads(open(sys.argv[2]).read())
        for error in sorted(Draft202012Validator(schema).iter_errors(document), key=lambda e: list(e.absolute_path)):
            print("/".join(str(p) for p in error.absolute_path) + ": " + error.message[:300])
        """

    /// The schema errors of `document` against `docs/schemas/NAME.schema.json`.
    static func errors(_ document: String, schema name: String) throws -> [String] {
        let file = FileManager.default.temporaryDirectory.path + "/backupd-json-\(UUID().uuidString).json"
        try Data(document.utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let process = try PosixProcessLauncher().launch(ProcessSpec(
            argv: ["/usr/bin/env", "python3", "-c", script, schemas + "/\(name).schema.json", file],
            environment: ProcessInfo.processInfo.environment))
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try process.readOutput(into: $0) }
            if n == 0 { break }
            output.append(contentsOf: buffer[..<n])
        }
        let exit = process.wait()
        guard exit.statusCode == 0 else {
            return ["the validator failed (exit \(exit.statusCode)): \(process.stderrTail())"]
        }
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
