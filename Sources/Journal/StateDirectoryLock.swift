import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The one daemon of a `state_dir`: an exclusive `flock` on `state_dir/lock`, held until `release()` or
/// the process ends (the kernel drops it even after `kill -9`). A second daemon on the same directory
/// would journal every change again under other ids and reuse sequence numbers.
public final class StateDirectoryLock: Sendable {
    /// The lock file's descriptor; -1 once released.
    private let descriptor: Mutex<Int32>
    public let path: String

    /// Takes the lock, trying again for up to `patience` seconds while another holds it: a daemon that
    /// is exiting (a restart), or a just-forked child that has not yet run `exec`, holds it for a moment.
    public static func acquire(directory: String, patience: Double = 2) async throws -> StateDirectoryLock {
        let deadline = ContinuousClock.now + .milliseconds(Int(patience * 1000))
        while true {
            do {
                return try StateDirectoryLock(directory: directory)
            } catch let error as StateDirectoryError where error.holder != nil && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Takes the lock, creating the directory and the lock file if needed, and writes this process's PID.
    /// - Throws: `StateDirectoryError` naming the directory and the holder's PID when another process holds it.
    public init(directory: String) throws {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = (directory as NSString).appendingPathComponent("lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StateDirectoryError(directory: directory, holder: nil, reason: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = Self.readPID(fd)
            close(fd)
            throw StateDirectoryError(directory: directory, holder: reason == EWOULDBLOCK ? holder ?? 0 : nil,
                                      reason: "cannot lock \(path): \(String(cString: strerror(reason)))")
        }
        let pid = Array("\(getpid())\n".utf8)
        // Best effort: without the PID only a second daemon's message is poorer.
        if ftruncate(fd, 0) == 0 { _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } }
        descriptor = Mutex(fd)
    }

    deinit { release() }

    /// Gives the directory up (also done when the process ends).
    public func release() {
        descriptor.withLock { fd in
            guard fd >= 0 else { return }
            close(fd)
            fd = -1
        }
    }

    /// The PID written by the holder, if readable.
    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return Int32(String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// The state directory cannot be locked: another process holds it (`holder`, its PID or 0 when unknown), or the lock file fails.
public struct StateDirectoryError: Error, Sendable, CustomStringConvertible {
    public var directory: String
    public var holder: Int32?
    public var reason: String
    public var description: String {
        guard let holder else { return "state_dir \(directory): \(reason)" }
        return "state_dir \(directory) is in use by another vicinotify (PID \(holder == 0 ? "unknown" : String(holder))): "
            + "one daemon per state_dir; stop it or give this one another state_dir"
    }
}
