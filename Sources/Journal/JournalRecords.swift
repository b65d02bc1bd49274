import VicinotifyCore

/// An event as stored in the journal: its position (a journal-wide order) and its bytes.
public struct JournaledEvent: Sendable, Hashable {
    public var position: Int64
    public var event: EncodedEvent

    public init(position: Int64, event: EncodedEvent) {
        self.position = position
        self.event = event
    }
}

/// Retry bookkeeping of one undelivered event on one sink.
public struct RetryState: Sendable, Equatable {
    public var attempts: Int
    public var firstAttempt: Timestamp
    public var nextAttempt: Timestamp
    public var lastError: String

    public init(attempts: Int, firstAttempt: Timestamp, nextAttempt: Timestamp, lastError: String) {
        self.attempts = attempts
        self.firstAttempt = firstAttempt
        self.nextAttempt = nextAttempt
        self.lastError = lastError
    }
}

/// An event a sink gave up on, kept for inspection and `dead-letters retry`.
public struct DeadLetter: Sendable, Equatable {
    public var sink: String
    public var position: Int64
    public var event: EncodedEvent
    public var attempts: Int
    public var lastError: String
    public var deadAt: Timestamp

    public init(sink: String, position: Int64, event: EncodedEvent, attempts: Int, lastError: String, deadAt: Timestamp) {
        self.sink = sink
        self.position = position
        self.event = event
        self.attempts = attempts
        self.lastError = lastError
        self.deadAt = deadAt
    }
}
