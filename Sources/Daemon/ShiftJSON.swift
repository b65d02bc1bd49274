import VicinotifyCore

/// An agent's shift figures as `/v1/agents` and the wallboard show them.
enum ShiftJSON {
    static func write(_ s: ShiftFigures, now: Timestamp, into w: inout JSONWriter) {
        let seconds = s.seconds(at: now)
        func total(_ keep: (ShiftFigures.Activity) -> Bool) -> Double { seconds.filter { keep($0.key) }.values.reduce(0, +) }
        w.raw("{\"source\":\"observed\",\"since\":\""); s.since.appendRFC3339(to: &w.bytes)
        w.raw("\",\"from_login\":"); w.raw(s.fromLogin ? "true" : "false")
        w.raw(",\"complete\":"); w.raw(s.complete ? "true" : "false")
        w.raw(",\"calls\":"); w.int(Int64(s.calls))
        w.raw(",\"talk_seconds\":"); w.seconds(seconds[.talking] ?? 0)
        w.raw(",\"wait_seconds\":"); w.seconds(seconds[.waiting] ?? 0)
        w.raw(",\"dispo_seconds\":"); w.seconds(seconds[.dispo] ?? 0)
        w.raw(",\"dead_seconds\":"); w.seconds(seconds[.dead] ?? 0)
        w.raw(",\"pause_seconds\":"); w.seconds(total { if case .paused = $0 { true } else { false } })
        w.raw(",\"pause_seconds_by_code\":{")
        var first = true
        for (activity, value) in seconds.sorted(by: { $0.key < $1.key }) {
            guard case .paused(let code) = activity else { continue }
            if !first { w.raw(",") }
            w.string(code); w.raw(":"); w.seconds(value)
            first = false
        }
        w.raw("}}")
    }
}
