import Foundation
import Postgres
import Synchronization

/// The throwaway PostgreSQL server that `scripts/with-postgres` starts around the test run.
public enum TestPostgres {
    private static let environment = ProcessInfo.processInfo.environment

    /// The test role's conninfo (without its password); the run stops here when the server is missing.
    public static var conninfo: String {
        guard let conninfo = environment["VICINOTIFY_TEST_POSTGRES"] else {
            fatalError("VICINOTIFY_TEST_POSTGRES is not set: run the tests with `bash scripts/test` (or under `bash scripts/with-postgres`)")
        }
        return conninfo
    }

    /// The second server, the one `restart()` restarts.
    public static var restartableConninfo: String { environment["VICINOTIFY_TEST_POSTGRES_RESTARTABLE"] ?? conninfo }

    public static var password: String { environment["VICINOTIFY_TEST_POSTGRES_PASSWORD"] ?? "" }

    public static func options(password: String? = TestPostgres.password, applicationName: String = "vicinotify-test",
                               restartable: Bool = false) -> PostgresConnectionOptions {
        PostgresConnectionOptions(conninfo: restartable ? restartableConninfo : conninfo, password: password,
                                  applicationName: applicationName)
    }

    /// A table or channel name no other test uses.
    public static func uniqueName(_ prefix: String) -> String {
        prefix + "_" + String(UInt64.random(in: 0 ... .max), radix: 36)
    }

    /// A client for a test's own queries.
    public static func client(restartable: Bool = false) -> PostgresClient { PostgresClient(options(restartable: restartable)) }

    /// `pg_ctl restart -m fast` of the second server: its connections break, it is back when this returns.
    public static func restart() async throws {
        guard let command = environment["VICINOTIFY_TEST_POSTGRES_RESTART"] else { fatalError("VICINOTIFY_TEST_POSTGRES_RESTART is not set") }
        let status = await Shell.run(command)
        guard status == 0 else { throw PostgresError(kind: .connect, message: "pg_ctl restart exited \(status)") }
    }
}

/// Runs a shell command with its standard streams on /dev/null, as a `Child`: a server it starts
/// (`pg_ctl restart`) outlives the run and must not hold other tests' pipes open.
public enum Shell {
    /// The command's exit status; -1 when it could not be started or did not end within `timeout` seconds.
    public static func run(_ command: String, timeout: Double = 120) async -> Int32 {
        guard let child = try? Child("/bin/sh", ["-c", command], stdout: .null, stderr: .null) else { return -1 }
        guard await child.exited(timeout: timeout) else {
            await child.stop()
            return -1
        }
        return child.terminationStatus
    }
}

/// A value that threads update and tests await a condition on, instead of sleeping.
public final class Awaitable<Value: Sendable>: Sendable {
    private struct State {
        var value: Value
        var waiters: [Int: (check: @Sendable (Value) -> Bool, continuation: CheckedContinuation<Bool, Never>)] = [:]
        var next = 0
    }
    private let state: Mutex<State>

    public init(_ value: Value) { state = Mutex(State(value: value)) }

    public var value: Value { state.withLock { $0.value } }

    public func update(_ change: (inout Value) -> Void) {
        let ready = state.withLock { s in
            change(&s.value)
            let value = s.value
            let done = s.waiters.filter { $0.value.check(value) }
            for id in done.keys { s.waiters[id] = nil }
            return done.values.map(\.continuation)
        }
        for c in ready { c.resume(returning: true) }
    }

    /// Waits until `condition` holds; false if `timeout` seconds pass first.
    public func wait(timeout: Double = 20, until condition: @escaping @Sendable (Value) -> Bool) async -> Bool {
        await withCheckedContinuation { c in
            let id: Int? = state.withLock { s in
                if condition(s.value) { return nil }
                s.next += 1
                s.waiters[s.next] = (condition, c)
                return s.next
            }
            guard let id else { return c.resume(returning: true) }
            Task {
                try? await Task.sleep(for: .milliseconds(Int(timeout * 1000)))
                self.state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume(returning: false)
            }
        }
    }
}

/// Listens on a channel from a thread of its own and keeps every notification, in arrival order.
public final class NotificationListener: Sendable {
    public let received = Awaitable<[PostgresNotification]>([])
    private let stopped = Awaitable<Bool>(false)
    private let done = Awaitable<Bool>(false)

    /// Returns once LISTEN has taken effect.
    public init(channel: String) async throws {
        let ready = Awaitable<String?>(nil)
        let options = TestPostgres.options(applicationName: "vicinotify-test-listener")
        let (received, stopped, done) = (self.received, self.stopped, self.done)
        Thread {
            defer { done.update { $0 = true } }
            let connection: PostgresConnection
            do {
                connection = try PostgresConnection(options)
                try connection.listen(channel)
            } catch {
                ready.update { $0 = "\(error)" }
                return
            }
            ready.update { $0 = "" }
            while !stopped.value {
                guard let batch = try? connection.notifications(timeout: 0.1) else { return }
                if !batch.isEmpty { received.update { $0 += batch } }
            }
        }.start()
        _ = await ready.wait { $0 != nil }
        if let problem = ready.value, !problem.isEmpty { throw PostgresError(kind: .connect, message: problem) }
    }

    public func stop() async {
        stopped.update { $0 = true }
        _ = await done.wait { $0 }
    }
}
