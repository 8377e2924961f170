import BackupCore
import SigV4

/// Hashes one stored object as it streams past, cut where the manifest says its parts end, and
/// compares each part's SHA-256 with the manifest's: the same digests the server checked when
/// each part was uploaded, so every byte is hashed once on the way back too.
final class PartDigestChecker {
    /// How problems name the object: "" for the stream's only object, "segment KEY " for a segment.
    private let naming: String
    private let parts: [PartDigest]
    private var index = 0
    private var inPart: Int64 = 0
    private var start: Int64 = 0
    private var hasher = SHA256Hasher()
    /// Bytes after the last part (the object is longer than its parts say).
    private var extra: Int64 = 0
    /// The digest of each part as read (a short last part's digest covers what there was).
    private(set) var found: [String] = []
    /// Parts whose bytes differ from the manifest, each named with its number and byte range.
    private(set) var problems: [String] = []

    /// A checker of an object made of `parts`; `segment` names it when the stream has several.
    init(segment: String?, parts: [PartDigest]) {
        self.naming = segment.map { "segment \($0) " } ?? ""
        self.parts = parts
    }

    /// Adds the object's next bytes.
    func update(_ chunk: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < chunk.count {
            guard index < parts.count else {
                extra += Int64(chunk.count - offset)
                return
            }
            let take = Int(min(Int64(chunk.count - offset), parts[index].size - inPart))
            hasher.update(UnsafeRawBufferPointer(rebasing: chunk[offset..<(offset + take)]))
            inPart += Int64(take)
            offset += take
            if inPart == parts[index].size { closePart() }
        }
    }

    /// Ends the object: closes the parts still open (empty ones, a short one) and returns the
    /// digests found, one per part that had bytes or was meant to be empty.
    func finish() -> [String] {
        while index < parts.count && inPart == parts[index].size { closePart() }
        if index < parts.count {
            let expected = parts[index]
            let range = "bytes \(start)-\(start + expected.size - 1)"
            let missing = parts.count - index - 1
            problems.append(
                "\(naming)part \(index + 1) (\(range)): \(inPart) of its \(expected.size) bytes found"
                    + (missing == 1 ? "; part \(index + 2) is missing" : missing > 1 ? "; parts \(index + 2) to \(parts.count) are missing" : ""))
            if inPart > 0 { found.append(SHA256.hex(hasher.finalize())) }
            index = parts.count
        }
        if extra > 0 { problems.append("\(naming)\(extra) bytes after the last part (\(parts.count)), which no digest covers") }
        return found
    }

    private func closePart() {
        let expected = parts[index]
        let digest = SHA256.hex(hasher.finalize())
        found.append(digest)
        if digest != expected.sha256 {
            problems.append(
                "\(naming)part \(index + 1) (bytes \(start)-\(start + expected.size - 1)): SHA-256 expected \(expected.sha256) (manifest), found \(digest)")
        }
        start += expected.size
        index += 1
        inPart = 0
        hasher = SHA256Hasher()
    }
}
