import Foundation
import Synchronization
import VicinotifyCore

/// Every event the tests' sinks receive, one JSON line each, in `$VICINOTIFY_EVENT_LOG/events-<pid>.jsonl`
/// when that variable names a folder (`scripts/test` sets it, then validates the lines against `schemas/`).
public enum EventLog {
    private static let file: Mutex<FileHandle?> = Mutex({
        guard let dir = ProcessInfo.processInfo.environment["VICINOTIFY_EVENT_LOG"], !dir.isEmpty else { return nil }
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/events-\(getpid()).jsonl"
        FileManager.default.createFile(atPath: path, contents: nil)
        return FileHandle(forWritingAtPath: path)
    }())

    public static func record(_ events: [EncodedEvent]) {
        file.withLock { handle in
            guard let handle else { return }
            var bytes: [UInt8] = []
            for e in events { bytes += e.json; bytes.append(UInt8(ascii: "\n")) }
            handle.write(Data(bytes))
        }
    }
}
