import Logging
import Synchronization
import VicinotifyCore

/// An in-memory, ordered queue in front of one sink: batches go out in the order they came in; a batch
/// whose events are not all delivered is retried (exponential backoff, 1 s doubling to 5 min) before
/// anything behind it.
final class SinkQueue: Sendable {
    let sink: any EventSink
    private let logger: Logger
    private let stream: AsyncStream<[EncodedEvent]>
    private let continuation: AsyncStream<[EncodedEvent]>.Continuation

    init(sink: any EventSink, logger: Logger) {
        self.sink = sink
        self.logger = logger
        (stream, continuation) = AsyncStream.makeStream(of: [EncodedEvent].self)
    }

    func enqueue(_ events: [EncodedEvent]) { continuation.yield(events) }
    func finish() { continuation.finish() }

    func run() async {
        for await batch in stream {
            var pending = batch
            var delay = 1.0
            while !pending.isEmpty {
                let outcomes = await sink.deliver(pending)
                var retry: [EncodedEvent] = []
                var wait: Double?
                var retryReason = "", givenUp = 0, giveUpReason = ""
                for (event, outcome) in zip(pending, outcomes) {
                    switch outcome {
                    case .delivered: break
                    case .giveUp(let reason):
                        givenUp += 1
                        giveUpReason = reason
                    case .retry(let reason, let after):
                        retry.append(event)
                        wait = max(wait ?? 0, after ?? delay)
                        retryReason = reason
                    }
                }
                if givenUp > 0 {
                    logger.error("sink gave up on events", metadata: ["sink": "\(sink.name)", "count": "\(givenUp)", "reason": "\(giveUpReason)"])
                }
                pending = retry
                guard !pending.isEmpty, let wait else { break }
                logger.warning("delivery failed, will retry", metadata: [
                    "sink": "\(sink.name)", "count": "\(pending.count)", "reason": "\(retryReason)", "in": "\(wait)s"])
                do { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) } catch { return }
                delay = min(delay * 2, 300)
            }
        }
    }
}
