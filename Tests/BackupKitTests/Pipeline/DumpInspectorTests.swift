import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Feeds `bytes` to an inspector for `check` in chunks of `chunk` bytes and returns its verdict.
func inspect(_ bytes: [UInt8], _ check: DumpCheck, chunk: Int = 7, tool: String = "tool") -> String? {
    let inspector = DumpInspector(check)
    var offset = 0
    while offset < bytes.count {
        let end = min(bytes.count, offset + chunk)
        bytes[offset..<end].withUnsafeBytes { inspector.write($0) }
        offset = end
    }
    return inspector.finish(tool: tool)
}

/// A minimal RDB: magic and version, some content, EOF and the CRC-64 (or zeros) little-endian.
func rdb(version: String = "0011", body: String = "\u{FE}\u{00}\u{00}\u{03}key\u{05}value", checksum: Bool = true) -> [UInt8] {
    var bytes = Array("REDIS\(version)".utf8) + Array(body.utf8) + [0xFF]
    var crc = CRC64Jones()
    bytes.withUnsafeBytes { crc.update($0) }
    let value = checksum ? crc.value : 0
    bytes += (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    return bytes
}

@Suite("Dump format checks on the stream", .ownThreads)
struct DumpInspectorTests {
    /// Redis's CRC-64 (Jones) gives its published check value for "123456789".
    @Test func crc64CheckValue() {
        var crc = CRC64Jones()
        Array("123456789".utf8).withUnsafeBytes { crc.update($0) }
        #expect(crc.value == 0xE9C6_D914_C4B8_D9CA)
    }

    /// pg_dump's custom format passes with its PGDMP head, whatever the chunking; nothing or a
    /// wrong head fails with the tool's name and what it wrote.
    @Test(arguments: [1, 3, 5, 4096])
    func postgresHeader(chunk: Int) {
        let dump = Array("PGDMP\u{01}\u{0E}\u{00}".utf8) + [UInt8](repeating: 7, count: 10_000)
        #expect(inspect(dump, .postgresCustom, chunk: chunk) == nil)
        #expect(inspect([], .postgresCustom, tool: "pg_dump") == "pg_dump exited 0 but wrote nothing (expected a PGDMP header)")
        #expect(inspect(Array("-- PostgreSQL database dump\n".utf8), .postgresCustom, chunk: chunk, tool: "pg_dump")
            == "pg_dump exited 0 but wrote no PGDMP header (its 28 bytes begin with \"-- PostgreSQL da\")")
        #expect(inspect(Array("PGDM".utf8), .postgresCustom, chunk: chunk)?.contains("no PGDMP header") == true)
    }

    /// mysqldump's trailer is found within the last 4 KiB however the stream is cut; missing, it
    /// fails; a marker far from the end (a truncated dump that mentions it) does not count.
    @Test(arguments: [1, 13, 4096, 100_000])
    func trailer(chunk: Int) {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 50_000)
        let complete = body + Array("\n-- Dump completed on 2026-12-01  3:00:00\n".utf8)
        #expect(inspect(complete, .trailer(DumpCheck.mysqldumpTrailer), chunk: chunk) == nil)
        #expect(inspect(body, .trailer(DumpCheck.mysqldumpTrailer), chunk: chunk, tool: "mysqldump")
            == "mysqldump exited 0 but its output lacks the \"-- Dump completed\" trailer: the dump is incomplete")
        let early = Array("-- Dump completed\n".utf8) + [UInt8](repeating: UInt8(ascii: "y"), count: 5000)
        #expect(inspect(early, .trailer(DumpCheck.mysqldumpTrailer), chunk: chunk) != nil)
    }

    /// An RDB passes with its magic, EOF and a matching CRC-64 (or zeros, rdbchecksum off);
    /// a truncated one, a flipped byte or a missing magic fail.
    @Test(arguments: [1, 2, 9, 64])
    func redisRDB(chunk: Int) {
        #expect(inspect(rdb(), .redisRDB, chunk: chunk) == nil)
        #expect(inspect(rdb(checksum: false), .redisRDB, chunk: chunk) == nil)
        var flipped = rdb()
        flipped[12] ^= 0x40
        #expect(inspect(flipped, .redisRDB, chunk: chunk)?.contains("checksum does not match") == true)
        #expect(inspect(Array(rdb().dropLast(3)), .redisRDB, chunk: chunk)?.contains("lacks the EOF marker") == true)
        // redis-cli 7 writing to a pipe leaves the 40-character diskless EOF mark after the checksum.
        let mark = Array("4b56d164b4310b3c4b56d164b4310b3c4b56d164".utf8)
        let long = rdb(body: String(repeating: "k", count: 100))
        #expect(inspect(long + mark, .redisRDB, chunk: chunk) == nil)
        #expect(inspect(rdb() + mark, .redisRDB, chunk: chunk) == nil)
        var flippedMarked = long + mark
        flippedMarked[20] ^= 1
        #expect(inspect(flippedMarked, .redisRDB, chunk: chunk)?.contains("checksum does not match") == true)
        #expect(inspect(long + Array(mark.dropLast()), .redisRDB, chunk: chunk) != nil)
        #expect(inspect(Array("+OK\r\n".utf8), .redisRDB, chunk: chunk, tool: "redis-cli")
            == "redis-cli exited 0 but wrote no RDB file (no REDIS magic; it begins with 0x2b4f4b0d0a)")
    }

    /// A mongodump archive needs its magic number first.
    @Test func mongoArchive() {
        #expect(inspect(DumpCheck.mongoMagic + [1, 2, 3], .mongoArchive) == nil)
        #expect(inspect(Array("not an archive".utf8), .mongoArchive)?.contains("lacks the mongodump archive magic") == true)
    }

    /// A command's output must have a byte unless the job allows empty output.
    @Test func emptyCommandOutput() {
        #expect(inspect([], .nonEmpty, tool: "sqlite3") == "sqlite3 exited 0 but wrote nothing")
        #expect(inspect([0], .nonEmpty) == nil)
        #expect(inspect([], .none) == nil)
    }

    /// The inspector holds a bounded amount whatever the dump's size (a trailer's window at most).
    @Test func boundedMemory() {
        let inspector = DumpInspector(.trailer(DumpCheck.mysqldumpTrailer))
        let chunk = [UInt8](repeating: 1, count: 1000)
        for _ in 0..<5000 { chunk.withUnsafeBytes { inspector.write($0) } }
        #expect(inspector.count == 5_000_000)
        #expect(inspector.finish(tool: "t") != nil)
        #expect(inspector.heldBytes <= 2 * DumpInspector.trailerWindow + 16)
    }
}
