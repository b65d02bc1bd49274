/// Requests handed over together, and their results as they come in; `TransferSchedule` decides which
/// run when. Used by the loop thread only, once enqueued.
final class RequestGroup: @unchecked Sendable {
    let id: UInt64
    let requests: [HTTPRequest]
    let maxInFlight: Int
    let stopAfter: (@Sendable (HTTPResponse) -> Bool)?
    private var continuation: CheckedContinuation<[Result<HTTPResponse, HTTPTransportError>], Never>?
    var results: [Result<HTTPResponse, HTTPTransportError>?]
    private var unfinished: Int

    init(id: UInt64, requests: [HTTPRequest], maxInFlight: Int, stopAfter: (@Sendable (HTTPResponse) -> Bool)?,
         continuation: CheckedContinuation<[Result<HTTPResponse, HTTPTransportError>], Never>) {
        self.id = id
        self.requests = requests
        self.maxInFlight = maxInFlight
        self.stopAfter = stopAfter
        self.continuation = continuation
        self.results = Array(repeating: nil, count: requests.count)
        self.unfinished = requests.count
    }

    /// Records one result; resumes the caller once every request has one.
    func complete(_ index: Int, _ result: Result<HTTPResponse, HTTPTransportError>) {
        guard results[index] == nil else { return }
        results[index] = result
        unfinished -= 1
        guard unfinished == 0 else { return }
        continuation?.resume(returning: results.map { $0! })
        continuation = nil
    }

    /// Whether `result` stops the group: nothing after it is sent.
    func stops(_ result: Result<HTTPResponse, HTTPTransportError>) -> Bool {
        guard case .success(let response) = result, let stopAfter else { return false }
        return stopAfter(response)
    }

    /// Fails every request without a result.
    func fail(_ error: HTTPTransportError) {
        for i in results.indices where results[i] == nil { complete(i, .failure(error)) }
    }
}
