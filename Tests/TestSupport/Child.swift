import Foundation

/// A child process of a test, spawned so that it inherits nothing of the test process but what it is
/// given: its standard streams (pipes or /dev/null) and no blocked or ignored signal.
///
/// Foundation's `Process` leaves every other descriptor open in the child, and its `Pipe`s are not
/// close-on-exec: a long-lived child one test starts (a webhook receiver, nats-server) then holds another
/// test's output pipe open, whose reader never sees its end, and the whole suite hangs. Here the pipes
/// are close-on-exec from their creation and the child closes every descriptor above 2 before `exec`.
/// A child spawned from one of the cooperative pool's threads would also inherit that thread's mask,
/// SIGTERM blocked; here its mask is empty and the usual signals have their default actions.
public final class Child: Sendable {
    public enum Stream: Sendable {
        case pipe, null, inherit
        /// A file opened for appending (created if missing); not for stdin.
        case append(String)
    }

    public let processIdentifier: pid_t
    /// The reading ends of the child's standard output and error, when they are `.pipe`.
    public let standardOutput: FileHandle?
    public let standardError: FileHandle?
    /// The writing end of its standard input, when `.pipe`: the child reads end-of-file once this closes.
    public let standardInput: FileHandle?
    private let status = Awaitable<Int32?>(nil)

    /// - Parameter executable: a path, or a name looked up in `PATH`.
    /// - Parameter environment: added to this process's environment.
    public init(_ executable: String, _ arguments: [String] = [], environment: [String: String] = [:],
                directory: String? = nil, stdin: Stream = .null, stdout: Stream = .pipe, stderr: Stream = .pipe) throws {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        try Self.check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init")
        defer { posix_spawn_file_actions_destroy(&actions) }
        try Self.check(posix_spawnattr_init(&attributes), "posix_spawnattr_init")
        defer { posix_spawnattr_destroy(&attributes) }

        // Each stream: the end the child gets is dup2'ed onto 0, 1 or 2; the parent keeps the other one.
        var childEnds: [Int32] = []
        var parentEnds: [Int32?] = []
        var started = false
        defer {
            childEnds.forEach { close($0) }
            if !started { parentEnds.compactMap { $0 }.forEach { close($0) } }
        }
        for (fd, stream) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch stream {
            case .inherit:
                parentEnds.append(nil)
            case .null:
                try Self.check(posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0),
                               "posix_spawn_file_actions_addopen")
                parentEnds.append(nil)
            case .append(let path):
                try Self.check(posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_APPEND | O_CREAT, 0o644),
                               "posix_spawn_file_actions_addopen(\(path))")
                parentEnds.append(nil)
            case .pipe:
                let (read, write) = try Self.closeOnExecPipe()
                let (mine, theirs) = fd == 0 ? (write, read) : (read, write)
                try Self.check(posix_spawn_file_actions_adddup2(&actions, theirs, fd), "posix_spawn_file_actions_adddup2")
                childEnds.append(theirs)
                parentEnds.append(mine)
            }
        }
        if let directory {
            try Self.check(Self.addChdir(&actions, directory), "posix_spawn_file_actions_addchdir_np")
        }
        try Self.check(Self.addCloseFrom(&actions, 3), "posix_spawn_file_actions_addclosefrom_np")

        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, s) }
        try Self.check(posix_spawnattr_setsigmask(&attributes, &none), "posix_spawnattr_setsigmask")
        try Self.check(posix_spawnattr_setsigdefault(&attributes, &defaults), "posix_spawnattr_setsigdefault")
        try Self.check(posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)),
                       "posix_spawnattr_setflags")

        let env = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }.map { "\($0)=\($1)" }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = executable.contains("/") ? posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
                                               : posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            throw ChildError(message: "cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        started = true
        let child = pid
        processIdentifier = child
        let handles = parentEnds.map { $0.map { FileHandle(fileDescriptor: $0, closeOnDealloc: true) } }
        (standardInput, standardOutput, standardError) = (handles[0], handles[1], handles[2])
        // Reaps it on a thread of its own, which ends when the child does.
        let status = self.status
        Thread.detachNewThread {
            var raw: Int32 = 0
            while waitpid(child, &raw, 0) < 0 && errno == EINTR {}
            status.update { $0 = raw }
        }
    }

    public var isRunning: Bool { status.value == nil }

    /// The exit code, or the number of the signal that ended it (as Foundation's `Process` says it).
    public var terminationStatus: Int32 {
        guard let raw = status.value else { return -1 }
        return raw & 0x7F == 0 ? (raw >> 8) & 0xFF : raw & 0x7F
    }

    /// Whether a signal ended it.
    public var wasSignalled: Bool { status.value.map { $0 & 0x7F != 0 } ?? false }

    /// Sends `signal` unless the child has already been reaped.
    public func send(_ signal: Int32) {
        if isRunning { kill(processIdentifier, signal) }
    }

    public func terminate() { send(SIGTERM) }

    /// Waits until it has exited, at most `timeout` seconds; whether it has.
    @discardableResult
    public func exited(timeout: Double = 60) async -> Bool {
        await status.wait(timeout: timeout) { $0 != nil }
    }

    /// SIGTERM, then SIGKILL if it is still there after `grace` seconds; waits for it.
    public func stop(grace: Double = 5) async {
        terminate()
        if await exited(timeout: grace) { return }
        send(SIGKILL)
        await exited()
    }

    /// `pipe2(O_CLOEXEC)`, both ends above the standard streams: a test process started without a stdin
    /// gets descriptor 0 back from `pipe2`, and a `dup2` onto itself would leave it close-on-exec.
    static func closeOnExecPipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        try check(pipe2.map { $0(&fds, O_CLOEXEC) == 0 ? 0 : errno } ?? ENOSYS, "pipe2")
        for i in 0..<2 where fds[i] < 3 {
            let moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)
            let failure = moved < 0 ? errno : 0
            close(fds[i])
            try check(failure, "fcntl(F_DUPFD_CLOEXEC)")
            fds[i] = moved
        }
        return (fds[0], fds[1])
    }

    static func check(_ result: Int32, _ call: String) throws {
        guard result != 0 else { return }
        throw ChildError(message: "\(call): \(String(cString: strerror(result)))")
    }

    // glibc's `pipe2` and `_np` file actions (2.29 and 2.34), which Swift's Glibc module does not declare.
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private static let closeFrom: AddCloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }
    private static let pipe2: Pipe2? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }
    private static let chdir: AddChdir? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: AddChdir.self) }

    private static func addCloseFrom(_ actions: inout posix_spawn_file_actions_t, _ fd: Int32) -> Int32 {
        closeFrom.map { $0(&actions, fd) } ?? ENOSYS
    }

    private static func addChdir(_ actions: inout posix_spawn_file_actions_t, _ directory: String) -> Int32 {
        chdir.map { f in directory.withCString { f(&actions, $0) } } ?? ENOSYS
    }
}

public struct ChildError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
