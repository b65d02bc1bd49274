import CCrypto
import Foundation

/// Signs webhook messages the Standard Webhooks way: `v1,` + base64(HMAC-SHA256(key, "id.timestamp.body")),
/// one signature per secret, separated by spaces, so an endpoint can rotate secrets without a gap.
public struct WebhookSigner: Sendable {
    private let keys: [HMACKey]

    /// - Parameter secrets: one or more `whsec_<base64>` secrets separated by spaces.
    /// - Throws: `WebhookSecretError`; its message never contains the secret.
    public init(secrets: String) throws {
        let parts = secrets.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        guard !parts.isEmpty else { throw WebhookSecretError(message: "is empty") }
        keys = try parts.enumerated().map { i, part in
            let label = parts.count > 1 ? "secret \(i + 1)" : "the secret"
            guard part.hasPrefix("whsec_") else { throw WebhookSecretError(message: "\(label) does not start with whsec_") }
            guard let key = Data(base64Encoded: String(part.dropFirst(6))), !key.isEmpty else {
                throw WebhookSecretError(message: "\(label) is not whsec_ followed by base64")
            }
            guard key.count >= 16 else {
                throw WebhookSecretError(message: "\(label) is too short (\(key.count) bytes; use 24 to 64 random bytes)")
            }
            guard let keyed = HMACKey(Array(key)) else { throw WebhookSecretError(message: "libcrypto cannot use \(label)") }
            return keyed
        }
    }

    /// The `webhook-signature` header value. Throws when libcrypto fails: never a signature of zeros.
    public func signature(id: String, timestamp: Int, body: [UInt8]) throws(CryptoError) -> String {
        let prefix = Array("\(id).\(timestamp).".utf8)
        var out: [String] = []
        for key in keys {
            var mac = [UInt8](repeating: 0, count: 32)
            try CryptoError.call("HMAC-SHA256") { ccrypto_hmac_sha256_sign(key.context, prefix, prefix.count, body, body.count, &mac) }
            out.append("v1," + Data(mac).base64EncodedString())
        }
        return out.joined(separator: " ")
    }
}

/// A libcrypto HMAC-SHA256 context holding one key; only ever read after creation, so shareable.
private final class HMACKey: @unchecked Sendable {
    let context: OpaquePointer

    init?(_ key: [UInt8]) {
        guard let ctx = ccrypto_hmac_sha256_new(key, key.count) else { return nil }
        context = ctx
    }

    deinit { ccrypto_hmac_free(context) }
}

/// A webhook secret that cannot be used.
public struct WebhookSecretError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
