extension BackupObjectStore {
    /// Uploads one stream, in segments where the store supports them. Stores without segments
    /// (the in-memory test store) store it as one object through `upload`.
    public func uploadStream(
        key: String, from source: any ByteSource, metadata: [String: String], expectedSize: Int64?,
        uploadStarted: (String) -> Void
    ) async throws -> StreamReceipt {
        StreamReceipt(single: try await upload(key: key, from: source, metadata: metadata, uploadStarted: uploadStarted))
    }

    /// Reads the objects `keys` (a stream's segments, in order) to `sink` as one stream.
    public func download(segments keys: [String], to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws {
        for key in keys { try await download(key: key, to: sink) }
    }

    /// Aborts the upload `uploadID` of the stream at `key`, which may be writing one of its
    /// segments (`key.001`, `key.002`, ...): the history records the stream's key and the
    /// current upload id, so the upload's own key is looked up among the open uploads under `key`
    /// (an abort under the wrong key is answered NoSuchUpload, which would pass for done).
    public func abortStreamUpload(key: String, uploadID: String) async throws {
        let open = try await openUploads(prefix: key).first { $0.uploadID == uploadID }
        try await abortUpload(key: open?.key ?? key, uploadID: uploadID)
    }
}
