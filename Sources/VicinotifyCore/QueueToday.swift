/// A queue's figures for today, as VICIdial keeps them in `vicidial_campaign_stats` (reset at its day
/// start) and as its real-time report shows them (`AST_timeonVDADall.php`).
public struct QueueToday: Sendable, Hashable {
    /// Calls offered today (`calls_today`).
    public var offered: Int
    /// Calls answered by an agent (`answers_today`).
    public var answered: Int
    /// Calls that hung up or timed out before an agent (`drops_today`).
    public var dropped: Int
    /// Calls answered within `serviceLevelSeconds` of arriving (`hold_sec_stat_one`).
    public var answeredWithinServiceLevel: Int
    /// The service level's threshold: the in-group's `answer_sec_pct_rt_stat_one` (VICIdial's default 20).
    public var serviceLevelSeconds: Int

    public init(offered: Int, answered: Int, dropped: Int, answeredWithinServiceLevel: Int, serviceLevelSeconds: Int = 20) {
        self.offered = offered
        self.answered = answered
        self.dropped = dropped
        self.answeredWithinServiceLevel = answeredWithinServiceLevel
        self.serviceLevelSeconds = serviceLevelSeconds
    }

    /// Dropped calls per offered call, in percent, to two decimals; 0 before the first call. (The report's
    /// in-group line shows 0 while no call has been answered; this counts those drops.)
    public var dropPercent: Double { Self.percent(dropped, of: offered) ?? 0 }

    /// Answered calls answered within the threshold, in percent, as the report's "PCT ANSWERED"; `nil`
    /// before the first answer.
    public var serviceLevelPercent: Double? { Self.percent(answeredWithinServiceLevel, of: answered) }

    static func percent(_ part: Int, of whole: Int) -> Double? {
        guard whole > 0 else { return nil }
        return (Double(part) / Double(whole) * 10_000).rounded() / 100
    }
}
