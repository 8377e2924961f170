import BackupCore

/// The rules every paginated S3 listing (ListObjectsV2, ListParts, ListMultipartUploads) must keep,
/// checked page by page: a listing is evidence only when it ends by itself, tokens advance and
/// keys increase. Also the listing loops' cancellation point.
struct S3Pagination {
    /// The most pages one listing may take: `maxItems` in pages filled to a tenth of `pageSize`
    /// (S3 fills pages to `max-keys`, 1,000; a provider filling them to 100 still fits).
    struct Limits: Sendable {
        /// The most items a sane listing of this kind holds.
        var maxItems: Int
        /// The page size S3 answers with.
        var pageSize: Int

        /// Pages allowed.
        var maxPages: Int { max(1, maxItems / max(1, pageSize / 10)) }

        /// A job's prefix: 1,000,000 objects, a backup a minute for a year with its manifest, is
        /// beyond any retention policy's working set; 10,000 pages.
        static let objects = Limits(maxItems: 1_000_000, pageSize: 1000)
        /// One upload's parts: S3 allows 10,000 parts, 1,000 a page; 100 pages.
        static let parts = Limits(maxItems: 10_000, pageSize: 1000)
        /// Open uploads under a prefix: 100,000, far past what crash recovery leaves; 1,000 pages.
        static let uploads = Limits(maxItems: 100_000, pageSize: 1000)
    }

    let operation: String
    let bucket: String
    let scope: String
    let limits: Limits
    /// Pages asked for so far.
    private(set) var page = 0
    private var items = 0
    private var tokens: Set<String> = []
    private var lastKey: String?

    init(operation: String, bucket: String, scope: String, limits: Limits) {
        self.operation = operation
        self.bucket = bucket
        self.scope = scope
        self.limits = limits
    }

    /// Before each request: stops when the task is cancelled and past the page cap.
    mutating func nextPage() throws(S3Error) {
        if Task.isCancelled { throw .cancelled(reason: StopReason.text) }
        page += 1
        guard page <= limits.maxPages else {
            throw broken("more than \(limits.maxPages) pages (at most \(limits.maxItems) items in pages of at least \(limits.pageSize / 10))")
        }
    }

    /// Each item's key, in page order: keys strictly increase in UTF-8 byte order, S3's order,
    /// within a page and across pages.
    mutating func item(key: String) throws(S3Error) {
        items += 1
        guard items <= limits.maxItems else { throw broken("more than \(limits.maxItems) items") }
        if let lastKey, !lastKey.utf8.lexicographicallyPrecedes(key.utf8) {
            throw broken(lastKey == key ? "the key \(key) is listed twice" : "the key \(key) comes after \(lastKey), out of order")
        }
        lastKey = key
    }

    /// Each item's key where equal keys may repeat in order (ListMultipartUploads lists every
    /// upload of a key); `id` must then differ.
    mutating func item(key: String, id: String, seen: inout Set<String>) throws(S3Error) {
        items += 1
        guard items <= limits.maxItems else { throw broken("more than \(limits.maxItems) items") }
        if let lastKey, key.utf8.lexicographicallyPrecedes(lastKey.utf8) {
            throw broken("the key \(key) comes after \(lastKey), out of order")
        }
        guard seen.insert("\(key)\u{0}\(id)").inserted else { throw broken("upload \(id) of \(key) is listed twice") }
        lastKey = key
    }

    /// After a page: the token to continue with, nil when the listing is complete. A truncated
    /// page without a token, or with one already used, breaks the listing.
    mutating func continuation(truncated: Bool, token: String?, name: String) throws(S3Error) -> String? {
        guard truncated else { return nil }
        guard let token, !token.isEmpty else { throw broken("IsTruncated is true but <\(name)> is missing or empty") }
        guard tokens.insert(token).inserted else { throw broken("<\(name)> repeats a token already used, so the listing would never end") }
        return token
    }

    private func broken(_ detail: String) -> S3Error {
        .brokenListing(operation: operation, bucket: bucket, scope: scope, page: page, detail: detail)
    }
}
