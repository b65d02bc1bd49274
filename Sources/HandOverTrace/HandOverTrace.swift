#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Marks along an event's way through the daemon, so that `vicinotify-bench handovers` can count the
/// hand-overs between threads and tasks by running the real code. Off unless a benchmark turns it on: a
/// mark then costs one atomic load.
public enum HandOverTrace {
    /// One point an event passed: where, on which thread, in which task.
    public struct Mark: Sendable, Equatable {
        public var stage: String
        public var thread: UInt
        /// The thread's name, as `pthread_setname_np` set it.
        public var threadName: String
        /// The current task's identity, `nil` on a thread outside Swift concurrency.
        public var task: Int?

        public init(stage: String, thread: UInt, threadName: String = "", task: Int?) {
            self.stage = stage
            self.thread = thread
            self.threadName = threadName
            self.task = task
        }

        /// Another thread or another task: the event was handed over between the two marks.
        public func isHandOver(from previous: Mark) -> Bool { thread != previous.thread || task != previous.task }
    }

    private static let on = Atomic<Bool>(false)
    private static let marks = Mutex<[Mark]>([])

    public static var isOn: Bool { on.load(ordering: .relaxed) }

    /// Records that an event passed `stage` here, when tracing is on.
    public static func mark(_ stage: StaticString) {
        guard on.load(ordering: .relaxed) else { return }
        let task = withUnsafeCurrentTask { $0?.hashValue }
        let mark = Mark(stage: "\(stage)", thread: UInt(bitPattern: Int(bitPattern: pthread_self())), threadName: threadName(),
                        task: task)
        marks.withLock { $0.append(mark) }
    }

    /// This thread's name, from `/proc/thread-self/comm` (Linux); empty where there is none.
    private static func threadName() -> String {
        let fd = open("/proc/thread-self/comm", O_RDONLY)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 32)
        let n = read(fd, &bytes, bytes.count)
        return n > 0 ? String(decoding: bytes[..<n].prefix { $0 != 0x0A }, as: UTF8.self) : ""
    }

    /// Starts recording, from no marks.
    public static func start() {
        marks.withLock { $0 = [] }
        on.store(true, ordering: .relaxed)
    }

    /// Stops recording and returns the marks, in the order they were made.
    public static func stop() -> [Mark] {
        on.store(false, ordering: .relaxed)
        return marks.withLock { $0 }
    }

    /// The way one event went through `marks`: the first mark of `anchor` (a stage only that event
    /// reaches), the last marks of `before` ahead of it (searched backwards, in turn) and the first marks of
    /// `after` behind it (in turn); `nil` when a stage was not reached.
    public static func path(before: [String], anchor: String, after: [String], in marks: [Mark]) -> [Mark]? {
        guard let a = marks.firstIndex(where: { $0.stage == anchor }) else { return nil }
        var path = [marks[a]]
        var end = a
        for stage in before.reversed() {
            guard let i = marks[..<end].lastIndex(where: { $0.stage == stage }) else { return nil }
            path.insert(marks[i], at: 0)
            end = i
        }
        var from = a + 1
        for stage in after {
            guard let i = marks[from...].firstIndex(where: { $0.stage == stage }) else { return nil }
            path.append(marks[i])
            from = i + 1
        }
        return path
    }

    /// The hand-overs along `path`.
    public static func handOvers(_ path: [Mark]) -> Int {
        zip(path, path.dropFirst()).filter { $1.isHandOver(from: $0) }.count
    }
}
