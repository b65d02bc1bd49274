/// One alert rule on queues (`alerts[]` with `queues`): a condition on a queue's figures and how long it
/// must hold. `vicidial.queue.threshold_exceeded` goes out once when it has held that long, and
/// `vicidial.queue.threshold_cleared` once when it stops holding.
public struct QueueRule: Sendable, Equatable {
    public enum Condition: Sendable, Equatable {
        /// `calls_waiting_at_least`
        case callsWaitingAtLeast(Int)
        /// `oldest_wait_longer_than` (seconds); never holds where the source gives no waits (the API).
        case oldestWaitLongerThan(Double)
        /// `ready_agents_at_most`, while calls wait.
        case readyAgentsAtMostWhileWaiting(Int)
        /// `drop_percent_at_least`, once `minCalls` were offered today; never where the source gives no
        /// today's figures (the API).
        case dropPercentAtLeast(Double, minCalls: Int)
        /// `service_level_below` (percent answered within the threshold), once `minCalls` were answered.
        case serviceLevelBelow(Double, minCalls: Int)

        public func holds(for q: QueueState) -> Bool {
            switch self {
            case .callsWaitingAtLeast(let n): q.callsWaiting >= n
            case .oldestWaitLongerThan(let s): q.oldestWaitSeconds.map { Double($0) > s } ?? false
            case .readyAgentsAtMostWhileWaiting(let n): q.callsWaiting > 0 && (q.agentsReady.map { $0 <= n } ?? false)
            case .dropPercentAtLeast(let p, let min): q.today.map { $0.offered >= min && $0.dropPercent >= p } ?? false
            case .serviceLevelBelow(let p, let min):
                q.today.map { t in t.answered >= min && (t.serviceLevelPercent.map { $0 < p } ?? false) } ?? false
            }
        }

        /// How the rule reads in events and chat lines: "calls_waiting >= 5".
        public var text: String {
            switch self {
            case .callsWaitingAtLeast(let n): "calls_waiting >= \(n)"
            case .oldestWaitLongerThan(let s): "oldest_wait > \(ConfigDuration.format(s))"
            case .readyAgentsAtMostWhileWaiting(let n): "agents_ready <= \(n) while calls wait"
            case .dropPercentAtLeast(let p, _): "drop_percent >= \(Self.number(p))"
            case .serviceLevelBelow(let p, _): "service_level_percent < \(Self.number(p))"
            }
        }

        static func number(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }

        /// The figure the condition watches, as `/v1/queues` names it (the wallboard colours it).
        public var figure: String {
            switch self {
            case .callsWaitingAtLeast: "calls_waiting"
            case .oldestWaitLongerThan: "oldest_wait_seconds"
            case .readyAgentsAtMostWhileWaiting: "agents_ready"
            case .dropPercentAtLeast: "drop_percent"
            case .serviceLevelBelow: "service_level_percent"
            }
        }
    }

    public var name: String
    /// In-group or campaign ids; empty matches every watched queue.
    public var queues: [String]
    /// Configured source names; empty matches every source.
    public var sources: [String]
    public var condition: Condition
    /// Seconds the condition must hold before the rule fires (0: at the first poll it holds).
    public var holdFor: Double

    public init(name: String, queues: [String] = [], sources: [String] = [], condition: Condition, holdFor: Double = 0) {
        self.name = name
        self.queues = queues
        self.sources = sources
        self.condition = condition
        self.holdFor = holdFor
    }

    public func applies(to q: QueueState, source: String) -> Bool {
        (queues.isEmpty || queues.contains(q.queue)) && (sources.isEmpty || sources.contains(source))
    }
}

/// A queue rule's change: it fired (`exceeded`) or stopped holding (`cleared`).
public struct QueueAlert: Sendable, Equatable {
    public var rule: QueueRule
    public var queue: QueueState
    public var exceeded: Bool
    /// Seconds the condition has held (exceeded), or held in all (cleared).
    public var seconds: Double

    public init(rule: QueueRule, queue: QueueState, exceeded: Bool, seconds: Double) {
        self.rule = rule
        self.queue = queue
        self.exceeded = exceeded
        self.seconds = seconds
    }
}

/// Which queue rules fire or clear at a poll. Pure: the figures and the time are inputs.
public struct QueueAlertWatch: Sendable {
    public let source: String
    public let rules: [QueueRule]
    private struct Key: Hashable {
        var rule: Int
        var queue: String
    }
    private struct Hold {
        var since: Timestamp
        var fired = false
    }
    private var holding: [Key: Hold] = [:]

    public init(source: String, rules: [QueueRule]) {
        self.source = source
        self.rules = rules.filter { $0.sources.isEmpty || $0.sources.contains(source) }
    }

    /// The rules that fire or clear with this poll's `queues`, in queue then rule order.
    public mutating func alerts(_ queues: [QueueState], at now: Timestamp) -> [QueueAlert] {
        guard !rules.isEmpty else { return [] }
        var out: [QueueAlert] = []
        for q in queues.sorted(by: { $0.subject < $1.subject }) {
            for (r, rule) in rules.enumerated() where rule.applies(to: q, source: source) {
                let key = Key(rule: r, queue: q.subject)
                guard rule.condition.holds(for: q) else {
                    if let h = holding.removeValue(forKey: key), h.fired {
                        out.append(QueueAlert(rule: rule, queue: q, exceeded: false, seconds: now.seconds(since: h.since)))
                    }
                    continue
                }
                var h = holding[key] ?? Hold(since: now)
                let held = now.seconds(since: h.since)
                if !h.fired, held >= rule.holdFor {
                    h.fired = true
                    out.append(QueueAlert(rule: rule, queue: q, exceeded: true, seconds: held))
                }
                holding[key] = h
            }
        }
        return out
    }
}
