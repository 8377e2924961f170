import Foundation
import Testing
import TestThreads

@Suite("Malloc policy in a fresh process", .ownThreads)
struct MallocPolicyProcessTests {
    /// With the daemon's policy, every 8 MiB part buffer and 512 KiB block allocated after one of
    /// its size was freed still gets a mapping of its own (given back when freed); without it
    /// (the control, so the probe can tell), glibc's raised threshold puts the later ones on a heap.
    @Test func largeBlocksKeepTheirOwnMappingAfterOneIsFreed() throws {
        let probe = try backupdBinary().replacingOccurrences(of: "/backupd", with: "/malloc-probe", options: .backwards)
        #expect(try run(probe, []) == "mapped mapped mapped mapped mapped mapped")
        #expect(try run(probe, ["--no-policy"]) == "mapped heap heap heap heap heap")
    }

    private func run(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
