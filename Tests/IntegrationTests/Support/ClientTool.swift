import Foundation

/// Runs a database client (psql, mariadb, redis-cli) to completion. Secrets go in `environment`,
/// never in `arguments`; standard input and error go through temporary files, so neither a large
/// input nor a chatty error stream can deadlock against the output pipe.
struct ClientTool: Sendable {
    /// The program's name, looked up on PATH (and in `extraDirectories`).
    let name: String
    /// Where to look besides PATH, e.g. /usr/lib/postgresql/*/bin.
    var extraDirectories: [String] = []

    /// Runs the tool and returns its standard output; throws `TestServerError.toolFailed` with its
    /// standard error when it exits non-zero.
    func run(_ arguments: [String], environment extra: [String: String], input: String? = nil) throws -> String {
        let executable = try locate()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("backupd-tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let inputURL = scratch.appendingPathComponent("stdin")
        let errorURL = scratch.appendingPathComponent("stderr")
        try Data((input ?? "").utf8).write(to: inputURL)
        try Data().write(to: errorURL)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
        let output = Pipe()
        let inputHandle = try FileHandle(forReadingFrom: inputURL)
        let errorHandle = try FileHandle(forWritingTo: errorURL)
        defer {
            try? inputHandle.close()
            try? errorHandle.close()
        }
        process.standardInput = inputHandle
        process.standardOutput = output
        process.standardError = errorHandle
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let stderr = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
            throw TestServerError.toolFailed(
                tool: name, arguments: arguments, status: process.terminationStatus, stderr: stderr)
        }
        return String(decoding: stdout, as: UTF8.self)
    }

    private func locate() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + extraDirectories
        guard let found = directories.map({ "\($0)/\(name)" }).first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw TestServerError.toolMissing(tool: name)
        }
        return found
    }
}
