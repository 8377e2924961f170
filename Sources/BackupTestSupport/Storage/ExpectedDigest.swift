import BackupCore
import SigV4

/// The digests tests expect of stored bytes, computed independently of the code under test.
package enum ExpectedDigest {
    /// The digest a multipart upload with parts of `sizes` records for `bytes`: the labelled
    /// SHA-256 over each part's SHA-256 (`PartDigest.label`).
    package static func byParts<C: Collection<UInt8>>(_ bytes: C, sizes: [Int64]) -> String where C.Index == Int {
        var start = bytes.startIndex
        var digests: [String] = []
        for size in sizes {
            let end = start + Int(size)
            digests.append(SHA256.hex(SHA256.hash(bytes[start..<end])))
            start = end
        }
        return PartDigest.label(composite: SHA256.composite(ofHex: digests), parts: digests.count)
    }
}
