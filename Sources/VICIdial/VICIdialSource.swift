/// How to poll one VICIdial server: where, as whom, what, and how often.
public struct VICIdialSource: Sendable {
    /// How a source learns the floor.
    public enum Mode: String, Sendable {
        /// One `logged_in_agents` request per poll for the whole floor.
        case loggedInAgents = "logged_in_agents"
        /// One `agent_status` request per watched agent per poll.
        case agentStatus = "agent_status"
        /// One statement per poll on VICIdial's database (a read-only user on a replica): `database`.
        case database
    }

    /// The field delimiter VICIdial is asked for (`stage`).
    public enum Stage: String, Sendable, CaseIterable {
        case pipe, csv, tab
        public var delimiter: UInt8 {
            switch self {
            case .pipe: UInt8(ascii: "|")
            case .csv: UInt8(ascii: ",")
            case .tab: 0x09
            }
        }
    }

    /// When to ask `agent_status` about an agent who vanished from a `logged_in_agents` answer, before
    /// calling it a logout.
    public enum VerifyLogouts: String, Sendable, CaseIterable {
        /// When the source filters by campaign or user group (a vanished row may be a move).
        case auto
        /// Always: for an API user restricted by `allowed_campaigns` or `admin_viewable_groups`.
        case always
        /// Never: every vanished row is a logout.
        case never
    }

    /// The shortest interval between polls: VICIdial is someone's production server.
    public static let minimumInterval = 0.1

    public var name: String
    /// The full `…/vicidial/non_agent_api.php` URL.
    public var url: String
    public var user: String
    public var password: String
    public var mode: Mode
    /// `logged_in_agents` filters; empty means all.
    public var campaigns: [String]
    public var userGroups: [String]
    /// `agent_status` watch list.
    public var agents: [String]
    public var stage: Stage
    /// Ask for the header line and map columns by it.
    public var header: Bool
    /// Seconds between poll starts.
    public var interval: Double
    /// Seconds allowed for one request, connection included.
    public var timeout: Double
    public var connectTimeout: Double
    /// The `source` field VICIdial logs for each request (2-20 of `[0-9a-zA-Z]`).
    public var apiSource: String
    /// `agent_status` requests in flight at once.
    public var concurrency: Int
    /// Consecutive failed polls before `vicidial.source.down`.
    public var downAfter: Int
    /// First wait after a login error; doubles per repeated login error up to `authBackoffMax`.
    public var authBackoff: Double
    public var authBackoffMax: Double
    public var caFile: String?
    public var verifyLogouts: VerifyLogouts
    /// The most bytes of one answer kept; a larger answer is a failed poll (`too_large`).
    public var maxResponseBytes: Int
    /// Where the `database` mode reads; `nil` in the API modes.
    public var database: DatabaseLocation?
    /// The queues polled with the floor; `nil`: none.
    public var queues: QueueSelection?

    public init(name: String, url: String, user: String, password: String, mode: Mode = .loggedInAgents,
                campaigns: [String] = [], userGroups: [String] = [], agents: [String] = [],
                stage: Stage = .tab, header: Bool = true, interval: Double = 1, timeout: Double = 5,
                connectTimeout: Double = 3, apiSource: String = "vicinotify", concurrency: Int = 4,
                downAfter: Int = 3, authBackoff: Double = 300, authBackoffMax: Double = 3600, caFile: String? = nil,
                verifyLogouts: VerifyLogouts = .auto, maxResponseBytes: Int = 32 << 20) {
        self.verifyLogouts = verifyLogouts
        self.maxResponseBytes = maxResponseBytes
        self.name = name
        self.url = url
        self.user = user
        self.password = password
        self.mode = mode
        self.campaigns = campaigns
        self.userGroups = userGroups
        self.agents = agents
        self.stage = stage
        self.header = header
        self.interval = interval
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.apiSource = apiSource
        self.concurrency = concurrency
        self.downAfter = downAfter
        self.authBackoff = authBackoff
        self.authBackoffMax = authBackoffMax
        self.caFile = caFile
    }

    /// Whether a vanished agent is checked with `agent_status` before it counts as logged out.
    public var verifiesLogouts: Bool {
        switch verifyLogouts {
        case .auto: !campaigns.isEmpty || !userGroups.isEmpty
        case .always: true
        case .never: false
        }
    }

    /// `scheme://host[:port]` of `url`, for the CloudEvents `source` attribute.
    public var authority: String {
        if let database { return database.socket ?? "\(database.host):\(database.port)" }
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let hostPort = rest[..<end]
        return String(hostPort.split(separator: "@").last ?? hostPort)
    }
}
