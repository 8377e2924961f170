import Foundation

/// A python3 helper of the tests' own (a proxy) that prints the port it listens on as its first
/// line and exits when its stdin closes, so a crashed test process leaves nothing running.
struct PythonListener {
    let process: Process
    let stdin: Pipe
    /// The loopback port it listens on.
    let port: Int

    /// Runs `python3 script arguments...` and returns once it printed its port; `what` names it in the error.
    static func start(script: String, arguments: [String], what: String) throws -> PythonListener {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let text = String(data: line, encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw TestServerError.toolFailed(
                tool: "python3", arguments: [URL(fileURLWithPath: script).lastPathComponent], status: -1, stderr: "\(what) did not start")
        }
        return PythonListener(process: process, stdin: stdin, port: port)
    }

    /// Stops it and waits for it to end.
    func stop() {
        process.terminate()
        try? stdin.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
