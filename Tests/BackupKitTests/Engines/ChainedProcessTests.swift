import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Reads a process's output to its end.
private func drainOutput(_ process: any RunningProcess) throws -> String {
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try process.readOutput(into: $0) }
        if n == 0 { break }
        out += buffer[..<n]
    }
    return String(decoding: out, as: UTF8.self)
}

/// Launches `one` (output AAA), then `two` (BBB), replying with `firstExit` for `one`.
private func chain(firstExit: ProcessExit = .exited(0)) throws -> (any RunningProcess, RecordingLauncher) {
    let launcher = RecordingLauncher(installed: ["one", "two"]) { spec in
        spec.argv[0] == "one" ? .init(output: "AAA", stderr: "one says", exit: firstExit) : .init(output: "BBB", stderr: "two says")
    }
    let step = DumpStep(tool: "one", argv: ["one"], environment: ["A": "1"], suffix: ".sql")
    var chained = step
    chained.then = [["two", "--no-data"]]
    return (try chained.launch(with: launcher), launcher)
}

@Suite("Chained dump commands", .ownThreads)
struct ChainedProcessTests {
    /// The second command starts after the first exits 0, with the same environment; the stream
    /// is both outputs in order and the chain succeeds.
    @Test func outputsFollowEachOther() throws {
        let (process, launcher) = try chain()
        #expect(try drainOutput(process) == "AAABBB")
        #expect(process.wait() == .exited(0))
        #expect(launcher.specs.map(\.argv) == [["one"], ["two", "--no-data"]])
        #expect(launcher.specs.allSatisfy { $0.environment == ["A": "1"] })
        #expect(process.stderrTail() == "one says\ntwo says")
    }

    /// A failing first command ends the chain with its exit; the second never starts.
    @Test func failureStopsTheChain() throws {
        let (process, launcher) = try chain(firstExit: .exited(2))
        #expect(try drainOutput(process) == "AAA")
        #expect(process.wait() == .exited(2))
        #expect(launcher.specs.map(\.argv) == [["one"]])
    }

    /// A kill that lands when the first command has already exited 0 starts no other command, and
    /// the chain reports the kill: the shortened stream is never taken for a complete one.
    @Test func killBetweenCommandsIsAFailure() throws {
        let (process, launcher) = try chain()
        process.kill()
        #expect(try drainOutput(process) == "AAA")
        #expect(process.wait() == .signaled(9))
        #expect(launcher.specs.count == 1)
    }

    /// A step without `then` is the plain process.
    @Test func singleStepIsNotWrapped() throws {
        let launcher = RecordingLauncher(installed: ["one"]) { _ in .init(output: "X") }
        let process = try DumpStep(tool: "one", argv: ["one"], environment: [:], suffix: ".sql").launch(with: launcher)
        #expect(process is ScriptedProcess)
    }
}
