import Foundation
import Journal
import Synchronization
import VicinotifyCore

/// What the daemon tells operators: Prometheus metrics and readiness, fed by every poll and delivery.
public final class Operations: Sendable {
    public let metrics = Metrics()
    /// The alert rules, for `/v1/alerts`.
    let alerts: [AlertRule]
    let queueAlerts: [QueueRule]
    private let readiness: Mutex<Readiness>

    private struct Readiness {
        var lastSuccess: [String: Timestamp] = [:]
        var lastFailure: [String: String] = [:]
        /// Per source: how long a success counts (three intervals and the request's timeout).
        var intervals: [String: Double]
        var journalWritable = true
    }

    public init(sources: [Configuration.Source], alerts: [AlertRule] = [], queueAlerts: [QueueRule] = []) {
        self.alerts = alerts
        self.queueAlerts = queueAlerts
        readiness = Mutex(Readiness(intervals: Dictionary(uniqueKeysWithValues: sources.map {
            ($0.vicidial.name, 3 * $0.vicidial.interval + $0.vicidial.timeout)
        })))
        let m = metrics
        m.declare("vicinotify_polls_total", .counter, help: "Polls by source and outcome: ok, empty, or the failure class.")
        m.declare("vicinotify_poll_duration_seconds", .histogram, help: "Time from a poll's request to its commit.",
                  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
        m.declare("vicinotify_agents", .gauge, help: "Logged-in agents by source and status, as of the last poll.")
        m.declare("vicinotify_events_total", .counter, help: "Events journaled, by source and type.")
        m.declare("vicinotify_deliveries_total", .counter,
                  help: "Delivery outcomes by sink: delivered, retry, dead_letter, disabled (endpoint answered 410), "
                      + "filtered (not for this sink: passed over).")
        m.declare("vicinotify_sink_queue_depth", .gauge, help: "Journaled events the sink has not passed yet.")
        m.declare("vicinotify_sink_oldest_undelivered_age_seconds", .gauge, help: "Age of the sink's oldest undelivered event.")
        m.declare("vicinotify_dead_letters", .gauge, help: "Events the sink gave up on, waiting in the dead letters.")
        m.declare("vicinotify_journal_bytes", .gauge, help: "Size of the journal on disk, write-ahead log included.")
        m.declare("vicinotify_source_up", .gauge, help: "1 if the source's last poll succeeded.")
        m.declare("vicinotify_source_lag_seconds", .gauge, help: "How far a database source's replica is behind, as of its last poll.")
        for (metric, figure) in Self.queueGauges {
            m.declare(metric, .gauge, help: "Each watched queue's \(figure.replacingOccurrences(of: "_", with: " ")), as of the source's last poll.")
        }
        m.declare("vicinotify_event_readers", .gauge, help: "Readers of /v1/events now.")
        m.declare("vicinotify_event_reader_overflows_total", .counter, help: "Readers of /v1/events cut off for falling behind.")
    }

    /// Records one poll.
    /// The Prometheus gauges of each queue, by the figure they show.
    static let queueGauges = [("vicinotify_queue_calls_waiting", "calls_waiting"), ("vicinotify_queue_oldest_wait_seconds", "oldest_wait_seconds"),
                              ("vicinotify_queue_agents_ready", "agents_ready"), ("vicinotify_queue_agents_logged_in", "agents_logged_in"),
                              ("vicinotify_queue_active_calls", "active_calls"), ("vicinotify_queue_offered_today", "offered"),
                              ("vicinotify_queue_dropped_today", "dropped"), ("vicinotify_queue_drop_percent", "drop_percent"),
                              ("vicinotify_queue_service_level_percent", "service_level_percent")]

    func record(_ report: PollReport) {
        let source = ("source", report.source)
        let outcome = report.failure?.reason.rawValue ?? (report.agents == 0 ? "empty" : "ok")
        metrics.add("vicinotify_polls_total", [source, ("outcome", outcome)])
        metrics.observe("vicinotify_poll_duration_seconds", [source], report.duration)
        metrics.set("vicinotify_source_up", [source], report.failure == nil ? 1 : 0)
        if let lag = report.lag { metrics.set("vicinotify_source_lag_seconds", [source], lag) }
        if let queues = report.queues {
            for (metric, figure) in Self.queueGauges {
                metrics.replace(metric, matching: source, with: queues.compactMap { q in
                    q.value(of: figure).map { ([source, ("queue", q.queue)], $0) }
                })
            }
        }
        if report.journalWritable {
            for (type, n) in Dictionary(grouping: report.events, by: \.self).mapValues(\.count) {
                metrics.add("vicinotify_events_total", [source, ("type", type.rawValue)], Double(n))
            }
            metrics.replace("vicinotify_agents", matching: source,
                            with: report.statuses.map { ([source, ("status", $0.key)], Double($0.value)) })
        }
        readiness.withLock { r in
            if report.failure == nil { r.lastSuccess[report.source] = report.time } else {
                r.lastFailure[report.source] = report.failure!.reason.rawValue
            }
            r.journalWritable = report.journalWritable
        }
    }

    /// Brings the journal-derived gauges up to date.
    func refresh(journal: Journal, sinks: [String]) async {
        metrics.set("vicinotify_journal_bytes", [], Double(journal.sizeInBytes))
        guard let last = try? await journal.lastPosition() else { return }
        let now = Timestamp.now()
        let dead = (try? await journal.deadLetterCounts()) ?? [:]
        for sink in sinks {
            let label = [("sink", sink)]
            guard let cursor = try? await journal.cursor(sink: sink) else { continue }
            metrics.set("vicinotify_sink_queue_depth", label, Double(max(0, last - cursor)))
            let oldest = (try? await journal.events(for: sink, after: cursor, limit: 1))?.first
            metrics.set("vicinotify_sink_oldest_undelivered_age_seconds", label,
                        oldest.map { max(0, now.seconds(since: $0.event.time)) } ?? 0)
            metrics.set("vicinotify_dead_letters", label, Double(dead[sink] ?? 0))
        }
    }

    /// `/readyz`: every source polled successfully within three intervals and its timeout (a poll may
    /// take that long on a slow but working VICIdial), and the journal writable.
    public func readiness(now: Timestamp = .now()) -> (ready: Bool, json: String) {
        readiness.withLock { r in
            var ready = r.journalWritable
            var sources: [String: Any] = [:]
            for (name, window) in r.intervals {
                let last = r.lastSuccess[name]
                let ok = last.map { now.seconds(since: $0) <= window } ?? false
                ready = ready && ok
                var entry: [String: Any] = ["ready": ok, "last_success": last.map { "\($0)" } ?? NSNull()]
                if !ok { entry["last_failure"] = r.lastFailure[name] ?? (last == nil ? "not polled yet" : "no recent success") }
                sources[name] = entry
            }
            let body: [String: Any] = ["ready": ready, "journal_writable": r.journalWritable, "sources": sources]
            let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
            return (ready, String(decoding: data, as: UTF8.self) + "\n")
        }
    }
}
