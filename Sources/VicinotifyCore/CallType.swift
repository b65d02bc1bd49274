/// The kind of an agent's current call, derived from the call id (`callerid`) prefix the way VICIdial's
/// real-time report reads it: `V…` auto-dialled outbound, `M…` manual dial, `Y…` inbound (closer) call.
public enum CallType: String, Sendable, CaseIterable {
    /// No current call (empty call id).
    case none = ""
    /// `V`: placed by the auto-dialer (the report's `A`).
    case auto
    /// `M`: dialled by the agent (the report's `M`).
    case manual
    /// `Y`: an inbound call routed to the agent (the report's `I`).
    case inbound
    /// Any other prefix VICIdial knows (`J`, `DC`, `S`, `LP`, `VH`, `XL`): transfers, 3-way legs, system calls.
    case other

    public init(callerID: String) {
        guard let first = callerID.utf8.first else { self = .none; return }
        switch first {
        case UInt8(ascii: "V"): self = callerID.utf8.dropFirst().first == UInt8(ascii: "H") ? .other : .auto
        case UInt8(ascii: "M"): self = .manual
        case UInt8(ascii: "Y"): self = .inbound
        default: self = .other
        }
    }
}
