import CNats

/// What went wrong with NATS: the library's status, its text and the step that failed, or JetStream's error
/// code (10059 stream not found, ...) when the server sent one. Never holds a password or a token.
public struct NATSError: Error, CustomStringConvertible, Sendable, Equatable {
    /// `natsStatus` as a number (`NATS_TIMEOUT`, `NATS_NO_RESPONDERS`, ...).
    public var status: UInt32
    /// JetStream's `err_code`, 0 when none.
    public var jetStreamCode: Int
    public var message: String

    public init(status: UInt32, jetStreamCode: Int = 0, message: String) {
        self.status = status
        self.jetStreamCode = jetStreamCode
        self.message = message
    }

    public var description: String { message }

    public var isTimeout: Bool { status == NATS_TIMEOUT.rawValue }
    public var isNoResponders: Bool { status == NATS_NO_RESPONDERS.rawValue }
    public var isNotPermitted: Bool { status == NATS_NOT_PERMITTED.rawValue }
    public var isMaxPayload: Bool { status == NATS_MAX_PAYLOAD.rawValue }
    public var isConnectionProblem: Bool {
        [NATS_CONNECTION_CLOSED, NATS_CONNECTION_DISCONNECTED, NATS_NO_SERVER, NATS_STALE_CONNECTION, NATS_IO_ERROR,
         NATS_NOT_YET_CONNECTED, NATS_CONNECTION_AUTH_FAILED].map(\.rawValue).contains(status)
    }
}

/// The one funnel for libnats results: `call` takes the call itself, so no status can be dropped; `check`
/// reads a status a call already wrote beside another result (a JetStream error code).
public enum NATS {
    /// Makes one libnats call and throws a `NATSError` naming `what` unless it returns `NATS_OK`.
    public static func call(_ what: @autoclosure () -> String, code: jsErrCode = jsErrCode(rawValue: 0),
                            _ body: () -> natsStatus) throws(NATSError) {
        let status = body()
        guard status != NATS_OK else { return }
        throw error(status, what(), code: code)
    }

    /// Throws a `NATSError` naming `what` unless `status` is `NATS_OK`.
    public static func check(_ status: natsStatus, _ what: String, code: jsErrCode = jsErrCode(rawValue: 0)) throws(NATSError) {
        guard status != NATS_OK else { return }
        throw error(status, what, code: code)
    }

    static func error(_ status: natsStatus, _ what: String, code: jsErrCode = jsErrCode(rawValue: 0)) -> NATSError {
        let text = String(cString: natsStatus_GetText(status))
        var last = natsStatus(rawValue: 0)
        let detail = nats_GetLastError(&last).map { String(cString: $0) } ?? ""
        let extra = detail.isEmpty || detail == text ? "" : " (\(detail))"
        let js = code.rawValue != 0 ? " [JetStream error \(code.rawValue)]" : ""
        return NATSError(status: status.rawValue, jetStreamCode: Int(code.rawValue), message: "\(what): \(text)\(extra)\(js)")
    }
}
