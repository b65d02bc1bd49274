import VicinotifyCore

/// `GET /`: the supervisors' wallboard, one self-contained page (its HTML, CSS and script are compiled
/// into the binary; it loads nothing from anywhere else), and `GET /v1/alerts`, the rules it highlights by.
enum Wallboard {
    /// The page, its script inlined.
    static let page: String = {
        let html = String(decoding: PackageResources.wallboard_html, as: UTF8.self)
        let script = String(decoding: PackageResources.wallboard_js, as: UTF8.self) + "\n"
            + String(decoding: PackageResources.queues_js, as: UTF8.self) + "\n"
            + String(decoding: PackageResources.shift_js, as: UTF8.self)
        return html.replacingOccurrences(of: "/*SCRIPT*/", with: script)
    }()

    /// The page may run only its own inline script and style, and talk only to this listener.
    static let headers: [(name: String, value: String)] = [
        ("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
        ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"), ("Cache-Control", "no-cache"),
    ]

    /// `{"rules": [...], "queue_rules": [...]}`: each alert rule as configured; a queue rule as the figure
    /// it watches, its comparison and threshold (the wallboard colours the figure by them).
    static func alerts(_ rules: [AlertRule], queueRules: [QueueRule] = []) -> String {
        var w = JSONWriter()
        w.raw("{\"rules\":[")
        for (i, r) in rules.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"name\":"); w.string(r.name)
            w.raw(",\"status\":"); w.string(r.status)
            w.raw(",\"sub_status\":")
            if let sub = r.subStatus { w.string(sub) } else { w.raw("null") }
            for (key, list) in [("pause_codes", r.pauseCodes), ("campaigns", r.campaigns), ("user_groups", r.userGroups),
                                ("sources", r.sources)] {
                w.raw(",\""); w.raw(key); w.raw("\":")
                w.strings(list)
            }
            w.raw(",\"longer_than_seconds\":"); w.seconds(r.longerThan)
            w.raw("}")
        }
        w.raw("],\"queue_rules\":[")
        for (i, r) in queueRules.enumerated() {
            if i > 0 { w.raw(",") }
            let (comparison, threshold, minCalls): (String, Double, Int) = switch r.condition {
            case .callsWaitingAtLeast(let n): (">=", Double(n), 0)
            case .oldestWaitLongerThan(let s): (">", s, 0)
            case .readyAgentsAtMostWhileWaiting(let n): ("<=", Double(n), 0)
            case .dropPercentAtLeast(let p, let m): (">=", p, m)
            case .serviceLevelBelow(let p, let m): ("<", p, m)
            }
            w.raw("{\"name\":"); w.string(r.name)
            w.raw(",\"queues\":"); w.strings(r.queues)
            w.raw(",\"sources\":"); w.strings(r.sources)
            w.raw(",\"figure\":"); w.string(r.condition.figure)
            w.raw(",\"comparison\":"); w.string(comparison)
            w.raw(",\"threshold\":"); w.seconds(threshold)
            w.raw(",\"min_calls\":"); w.int(Int64(minCalls))
            w.raw(",\"for_seconds\":"); w.seconds(r.holdFor)
            w.raw("}")
        }
        w.raw("]}\n")
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
