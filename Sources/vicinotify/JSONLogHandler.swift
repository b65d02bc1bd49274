import Foundation
import Logging
import Synchronization
import VicinotifyCore

/// One JSON object per log line on standard error, for log shippers:
/// `{"time":"…","level":"warning","message":"…","label":"vicinotify","sink":"webhook:crm",…}`.
/// Metadata keys become top-level fields; a key that clashes with a fixed field is prefixed `meta_`.
struct JSONLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    let label: String
    private static let lock = Mutex(())

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var w = JSONWriter()
        w.raw("{\"time\":\"")
        Timestamp.now().appendRFC3339(to: &w.bytes)
        w.raw("\",\"level\":")
        w.string(event.level.rawValue)
        w.raw(",\"message\":")
        w.string(event.message.description)
        w.raw(",\"label\":")
        w.string(label)
        let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for key in all.keys.sorted() {
            w.raw(",")
            w.string(["time", "level", "message", "label"].contains(key) ? "meta_" + key : key)
            w.raw(":")
            w.string(all[key]!.description)
        }
        w.raw("}\n")
        Self.lock.withLock { _ in FileHandle.standardError.write(Data(w.bytes)) }
    }
}
