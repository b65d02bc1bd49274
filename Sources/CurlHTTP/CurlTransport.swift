import CCurl
import Foundation
import Synchronization

/// Asynchronous HTTP/1.1 (and HTTP/2 over TLS when offered) over one libcurl multi handle.
///
/// One dedicated thread owns the multi handle and every easy handle; callers only enqueue requests and
/// await responses, so no blocking call ever runs on Swift's cooperative pool. Connections are kept alive
/// and shared by all requests of a transport.
public final class CurlTransport: Sendable {
    private let loop: CurlLoop

    /// - Parameter maxConnectionsPerHost: transfers beyond this many per host wait for a free connection.
    public init(maxConnectionsPerHost: Int = 8) {
        CurlLoop.globalInit
        loop = CurlLoop(maxConnectionsPerHost: maxConnectionsPerHost)
        let loop = self.loop
        let thread = Thread {
            Thread.current.name = "curl-multi"  // set from inside: Foundation names the OS thread only then
            loop.run()
        }
        thread.start()
    }

    deinit { loop.shutdown() }

    /// libcurl's global set-up, done once per process (every transport does it; direct users of libcurl call it).
    public static func initializeLibcurl() { CurlLoop.globalInit }

    /// Performs `request`. Throws `HTTPTransportError`; an HTTP error status is a response, not an error.
    public func perform(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await perform([request], maxInFlight: 1)[0].get()
    }

    /// Performs every request, at most `maxInFlight` at a time, and returns their results in order.
    ///
    /// The loop thread starts the next request as soon as one finishes, so a whole batch costs one
    /// hand-over in each direction between the caller and the loop, however many requests it holds.
    /// - Parameter stopAfter: once a response satisfies it, requests not yet started are not sent; they
    ///   fail with kind `.cancelled`.
    public func perform(_ requests: [HTTPRequest], maxInFlight: Int,
                        stopAfter: (@Sendable (HTTPResponse) -> Bool)? = nil) async -> [Result<HTTPResponse, HTTPTransportError>] {
        guard !requests.isEmpty else { return [] }
        let id = loop.nextID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                loop.enqueue(RequestGroup(id: id, requests: requests, maxInFlight: max(1, maxInFlight), stopAfter: stopAfter,
                                          continuation: continuation))
            }
        } onCancel: {
            loop.cancel(id)
        }
    }
}
