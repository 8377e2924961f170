import Foundation
import Glibc
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite(.ownThreads)
struct RegularFileReaderTests {
    /// A FIFO nobody writes to is refused at once, naming it, instead of blocking the open or read.
    @Test func fifoIsRefusedWithoutBlocking() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fifo = directory.path + "/config.json"
        #expect(mkfifo(fifo, 0o600) == 0)
        let outcome = try withinDeadline { () -> FileReadError? in
            do throws(FileReadError) {
                _ = try RegularFileReader.read(fifo, limit: 1024)
                return nil
            } catch {
                return error
            }
        }
        #expect(outcome == .notRegular(path: fifo, kind: .fifo, target: nil))
        #expect(outcome?.description == "\(fifo) is a FIFO, not a regular file")
    }

    /// /dev/zero, directly or through a link, is a character device: refused before any byte is read.
    @Test func deviceAndLinkToDeviceAreRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let link = directory.path + "/secret"
        #expect(symlink("/dev/zero", link) == 0)
        #expect(throws: FileReadError.notRegular(path: "/dev/zero", kind: .characterDevice, target: nil)) {
            try RegularFileReader.read("/dev/zero", limit: 1024)
        }
        do {
            _ = try RegularFileReader.read(link, limit: 1024)
            Issue.record("read a link to /dev/zero")
        } catch {
            #expect(error.description == "\(link) is a character device (/dev/zero), not a regular file")
        }
    }

    /// A directory and a Unix socket are named as such.
    @Test func directoryAndSocketAreNamed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(throws: FileReadError.notRegular(path: directory.path, kind: .directory, target: nil)) {
            try RegularFileReader.read(directory.path, limit: 1024)
        }
        let socketPath = directory.path + "/s.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(socketPath.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        #expect(throws: FileReadError.notRegular(path: socketPath, kind: .socket, target: nil)) {
            try RegularFileReader.check(socketPath, limit: 1024)
        }
    }

    /// A file of exactly the limit is read whole; one byte more, or a huge sparse file, is refused.
    @Test func sizeLimitIsExact() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/f"
        let bytes = [UInt8](repeating: 0x61, count: 4096)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        #expect(try RegularFileReader.read(path, limit: 4096) == bytes)
        #expect(throws: FileReadError.tooLarge(path: path, limit: 4095)) { try RegularFileReader.read(path, limit: 4095) }
        let huge = directory.path + "/huge"
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        #expect(truncate(huge, 1 << 34) == 0)
        let error = #expect(throws: FileReadError.self) { try RegularFileReader.read(huge, limit: ConfigSources.maxConfigFileSize) }
        #expect(error?.description == "\(huge) is larger than 16 MiB")
    }

    /// A missing file is a system error with the C library's text.
    @Test func missingFileIsASystemError() {
        #expect(throws: FileReadError.system(path: "/nonexistent/x", errno: ENOENT)) { try RegularFileReader.read("/nonexistent/x", limit: 10) }
        #expect(FileReadError.system(path: "/nonexistent/x", errno: ENOENT).description == "/nonexistent/x: No such file or directory")
    }
}
