/// When VICIdial's real-time report (AST_timeonVDADall.php) starts an agent's clock again, for a source
/// that cannot read the report's own timestamps (the API). The report counts READY, PAUSED, DISPO, DEAD
/// and RING from `last_state_change`, which moves when the agent's VICIdial status changes (and at a
/// second pause code), and INCALL, DIAL, QUEUE and PARK from `last_call_time`, which moves at a new call.
public enum ReportClock {
    /// Pause codes that the system writes without the agent choosing: they leave the clock alone.
    public static let systemPauseCodes: Set<String> = ["LAGGED"]

    /// Whether the report's clock starts again going from `before` to `after`, within one login.
    public static func restarts(from before: AgentState, to after: AgentState) -> Bool {
        if before.status != after.status { return true }
        // A new call while on calls: last_call_time moves.
        if onCall(after), !after.callerID.isEmpty, before.callerID != after.callerID || before.leadID != after.leadID { return true }
        // A second pause code (not the first one after an empty code, and not a system code).
        if after.status == AgentState.paused, !before.pauseCode.isEmpty, !after.pauseCode.isEmpty, before.pauseCode != after.pauseCode,
           !systemPauseCodes.contains(after.pauseCode), !systemPauseCodes.contains(before.pauseCode) {
            return true
        }
        // Sub-status moves (PARK, DIAL, 3-WAY, DEAD, RING, DISPO), a first code, a system code: same clock.
        return false
    }

    /// The statuses the report times from the call's start.
    static func onCall(_ s: AgentState) -> Bool { s.status == "INCALL" || s.status == "QUEUE" || s.status == "CLOSER" }
}
