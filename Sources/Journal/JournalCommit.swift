import VicinotifyCore

/// One commit, as the journal's observer is told of it: every row in position order, each with the sink
/// it is for (`nil`: every sink), from `first` to `last`.
public struct JournalCommit: Sendable {
    public var rows: [(sink: String?, event: JournaledEvent)]
    public var first: Int64 { rows.first?.event.position ?? 0 }
    public var last: Int64 { rows.last?.event.position ?? 0 }
    /// The events for every sink (what readers of the stream see).
    public var shared: [JournaledEvent] { rows.compactMap { $0.sink == nil ? $0.event : nil } }

    public init(rows: [(sink: String?, event: JournaledEvent)]) { self.rows = rows }
}
