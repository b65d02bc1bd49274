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

/// Runs a shell command with its standard streams on /dev/null and waits for it on a thread of its own.
/// (Foundation's `Process` termination handler never fired for this one.)
public enum Shell {
    /// Runs `command` with `/bin/sh`, its output discarded, closing every other descriptor of this
    /// process in the child: a server started this way (`pg_ctl restart`) must not keep other tests'
    /// pipes open, or their readers never see the end of them. `closefrom` in the child, not a list made
    /// beforehand: a pipe another test opens meanwhile (Foundation's are not close-on-exec) would leak
    /// into a server that outlives the run, and hang the whole suite.
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc module
    /// does not declare.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }

    public static func run(_ command: String) async -> Int32 {
        await withCheckedContinuation { c in
            Thread {
                var actions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                defer { posix_spawn_file_actions_destroy(&actions) }
                for fd: Int32 in 0...2 { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
                guard let closeFrom = Self.addCloseFrom else { return c.resume(returning: -1) }
                _ = closeFrom(&actions, 3)
                var pid: pid_t = 0
                let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup(command), nil]
                defer { argv.forEach { free($0) } }
                guard posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ) == 0 else { return c.resume(returning: -1) }
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                c.resume(returning: (status >> 8) & 0xFF)
            }.start()
        }
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
