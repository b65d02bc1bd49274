import CCrypto
import Foundation

/// Signs webhook messages the Standard Webhooks way: `v1,` + base64(HMAC-SHA256(key, "id.timestamp.body")),
/// one signature per secret, separated by spaces, so an endpoint can rotate secrets without a gap.
public struct WebhookSigner: Sendable {
    private let keys: [[UInt8]]

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
            return Array(key)
        }
    }

    /// The `webhook-signature` header value.
    public func signature(id: String, timestamp: Int, body: [UInt8]) -> String {
        var content = Array("\(id).\(timestamp).".utf8)
        content += body
        return keys.map { key in
            var mac = [UInt8](repeating: 0, count: 32)
            _ = key.withUnsafeBytes { k in
                ccrypto_hmac_sha256(k.baseAddress, Int32(k.count), content, content.count, &mac)
            }
            return "v1," + Data(mac).base64EncodedString()
        }.joined(separator: " ")
    }
}

/// A webhook secret that cannot be used.
public struct WebhookSecretError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
