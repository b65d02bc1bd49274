import CCrypto

/// A libcrypto call that failed, with the library's own reason (`ERR_get_error`).
public struct CryptoError: Error, Sendable, CustomStringConvertible {
    /// What was being done: "HMAC-SHA256", "SHA-256".
    public var operation: String
    /// libcrypto's packed error code; 0 when it left none.
    public var code: UInt
    public var description: String { "\(operation) failed in libcrypto (error \(code))" }

    /// The one funnel for libcrypto results: it makes the call (1 on success), so no result is dropped.
    static func call(_ operation: String, _ body: () -> Int32) throws(CryptoError) {
        guard body() == 1 else { throw CryptoError(operation: operation, code: UInt(ccrypto_last_error())) }
    }
}
