/// A hint at the kind of an agent's current call, from the call id's (`callerid`) prefix: VICIdial's
/// CALLER_ID_NAME_CODES. It is `call_type_hint` in events. VICIdial's real-time report takes its letter
/// from `vicidial_live_agents.comments` instead, which only the database source reads (`call_type`); the
/// README gives how often each prefix agrees with the report.
public enum CallType: String, Sendable, CaseIterable {
    /// No current call (empty call id).
    case none = ""
    /// `V…` placed by the auto-dialer, `DC…` a dial-campaign call (the report: A; a `V…` call routed
    /// through an in-group keeps its prefix but is the report's I).
    case auto
    /// `M…` dialled by the agent (the report: M).
    case manual
    /// `Y…` an inbound call, `J…` a closer transfer (the report: I; a manual dial through an in-group is
    /// also `Y…` but the report's M).
    case inbound
    /// `E…` an email (the report: E).
    case email
    /// Any other prefix (`S`, `LP`, `VH`, `XL`, …): system calls, 3-way legs, transfers.
    case other

    public init(callerID: String) {
        var bytes = callerID.utf8.makeIterator()
        guard let first = bytes.next() else { self = .none; return }
        let second = bytes.next()
        switch first {
        case UInt8(ascii: "V"): self = second == UInt8(ascii: "H") ? .other : .auto
        case UInt8(ascii: "D"): self = second == UInt8(ascii: "C") ? .auto : .other
        case UInt8(ascii: "M"): self = .manual
        case UInt8(ascii: "Y"), UInt8(ascii: "J"): self = .inbound
        case UInt8(ascii: "E"): self = .email
        default: self = .other
        }
    }
}
