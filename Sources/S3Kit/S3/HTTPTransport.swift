import BackupCore

/// One HTTP exchange: the seam between the S3 client and the network, so the client and the
/// uploader are tested with a fake. `send` blocks the calling thread; async code calls `transfer`.
public protocol HTTPTransport: Sendable {
    /// Sends `request` with `body` (read in place, never copied) and returns the response.
    ///
    /// When `sink` is given and the status is 2xx, the response body goes to `sink` chunk by chunk
    /// and `HTTPResponse.body` stays empty; other responses are collected so errors can be parsed.
    /// Throws `HTTPTransportError` when no response arrived, or what `sink` threw.
    func send(
        _ request: HTTPRequest, body: UnsafeRawBufferPointer,
        sink: ((UnsafeRawBufferPointer) throws -> Void)?
    ) throws -> HTTPResponse

    /// `send`, given up within about a second once `abandon` returns true (throwing
    /// `HTTPTransportError.abandoned`), so a cancelled run never waits on a stalled request.
    func send(
        _ request: HTTPRequest, body: UnsafeRawBufferPointer,
        sink: ((UnsafeRawBufferPointer) throws -> Void)?, abandon: @escaping @Sendable () -> Bool
    ) throws -> HTTPResponse
}

extension HTTPTransport {
    /// Transports that cannot interrupt a request check `abandon` only before sending it.
    public func send(
        _ request: HTTPRequest, body: UnsafeRawBufferPointer,
        sink: ((UnsafeRawBufferPointer) throws -> Void)?, abandon: @escaping @Sendable () -> Bool
    ) throws -> HTTPResponse {
        if abandon() { throw HTTPTransportError.abandoned(host: request.url) }
        return try send(request, body: body, sink: sink)
    }

    /// The one async entry point: `send` on the `BlockingBridge`. Cancelling the task raises the
    /// abort flag that the transfer checks (libcurl's progress callback, at least once a second and
    /// while stalled), so the request ends at once with `HTTPTransportError.abandoned`; a task
    /// cancelled before the request started throws `CancellationError`. `sink` runs on the bridge.
    public func transfer(
        _ request: HTTPRequest, body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?
    ) async throws -> HTTPResponse {
        let flag = BlockingBridge.AbortFlag()
        let lent = BlockingBridge.Handoff((body: body, sink: sink))
        return try await BlockingBridge.shared.run(interrupt: { flag.raise() }) {
            try self.send(request, body: lent.value.body, sink: lent.value.sink, abandon: { flag.isRaised })
        }
    }
}
