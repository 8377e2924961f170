/// One HTTP exchange: the seam between the S3 client and the network, so the client and the
/// uploader are tested with a fake. Every call blocks the calling thread.
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
}
