/// The libcurl loop's decisions as a value: which requests of which group start, what a finished, failed
/// or cancelled transfer changes, and what a shutdown fails. No libcurl and no clock: the loop around it
/// (`CurlLoop`) only adds and removes easy handles and hands results over, and tables test this.
struct TransferSchedule: Sendable, Equatable {
    struct Group: Sendable, Equatable {
        var count: Int
        var maxInFlight: Int
        /// The next request to start.
        var next = 0
        var inFlight = 0
        /// Requests with no result yet.
        var unfinished: Int
    }

    /// What the loop does next.
    enum Action: Sendable, Equatable {
        /// Start request `index` of `group` on a transfer.
        case start(group: UInt64, index: Int)
        /// Give request `index` of `group` a result without sending it (an earlier answer stopped the group).
        case skip(group: UInt64, index: Int)
        /// Fail what `group` has not finished; its transfers are parked.
        case fail(group: UInt64, because: Ending)
    }

    enum Ending: Sendable, Equatable {
        case cancelled, shutdown
    }

    private(set) var groups: [UInt64: Group] = [:]

    /// A group of `count` requests, at most `maxInFlight` at once.
    mutating func add(_ id: UInt64, count: Int, maxInFlight: Int) -> [Action] {
        groups[id] = Group(count: count, maxInFlight: max(1, maxInFlight), unfinished: count)
        return feed(id)
    }

    /// A request of `group` could not start (libcurl refused it): it has its result, others may start.
    mutating func startFailed(_ id: UInt64) -> [Action] {
        guard groups[id] != nil else { return [] }
        groups[id]!.inFlight -= 1
        groups[id]!.unfinished -= 1
        return feed(id)
    }

    /// A transfer of `group` finished; `stop` when its answer stops the group (the rest are skipped).
    mutating func finished(_ id: UInt64, stop: Bool) -> [Action] {
        guard var g = groups[id] else { return [] }
        g.inFlight -= 1
        g.unfinished -= 1
        var actions: [Action] = []
        if stop {
            actions = (g.next..<g.count).map { .skip(group: id, index: $0) }
            g.unfinished -= g.count - g.next
            g.next = g.count
        }
        groups[id] = g
        return actions + feed(id)
    }

    /// The caller gave up on `group`: its transfers are parked and it fails. Nothing when it is unknown.
    mutating func cancel(_ id: UInt64) -> [Action] {
        groups.removeValue(forKey: id) == nil ? [] : [.fail(group: id, because: .cancelled)]
    }

    /// The transport shuts down: every group fails.
    mutating func shutdown() -> [Action] {
        defer { groups = [:] }
        return groups.keys.sorted().map { .fail(group: $0, because: .shutdown) }
    }

    /// Starts what `group` has room for; forgets it once every request has a result.
    private mutating func feed(_ id: UInt64) -> [Action] {
        guard var g = groups[id] else { return [] }
        var actions: [Action] = []
        while g.inFlight < g.maxInFlight, g.next < g.count {
            actions.append(.start(group: id, index: g.next))
            g.next += 1
            g.inFlight += 1
        }
        groups[id] = g.unfinished == 0 ? nil : g
        return actions
    }
}
