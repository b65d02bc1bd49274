import Foundation

/// A fresh folder under the system's temporary directory; `remove()` deletes it.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ prefix: String = "vicinotify-test") {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
