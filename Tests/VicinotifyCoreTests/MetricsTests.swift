import Testing
import VicinotifyCore

@Suite struct MetricsTests {
    @Test func exposition() {
        let m = Metrics()
        m.declare("x_total", .counter, help: "Things.")
        m.declare("d_seconds", .histogram, help: "Durations.", buckets: [0.1, 1])
        m.declare("g", .gauge, help: "Levels.")
        m.add("x_total", [("sink", "a\"b\\c\nd")], 2)
        m.add("x_total", [("sink", "a\"b\\c\nd")])
        m.observe("d_seconds", [("source", "s")], 0.05)
        m.observe("d_seconds", [("source", "s")], 0.5)
        m.observe("d_seconds", [("source", "s")], 5)
        m.add("undeclared_total")
        m.replace("g", matching: ("source", "s"), with: [([("source", "s"), ("status", "READY")], 2)])
        m.replace("g", matching: ("source", "s"), with: [([("source", "s"), ("status", "PAUSED")], 1)])
        #expect(m.exposition() == """
            # HELP d_seconds Durations.
            # TYPE d_seconds histogram
            d_seconds_bucket{source="s",le="0.1"} 1
            d_seconds_bucket{source="s",le="1"} 2
            d_seconds_bucket{source="s",le="+Inf"} 3
            d_seconds_sum{source="s"} 5.55
            d_seconds_count{source="s"} 3
            # HELP g Levels.
            # TYPE g gauge
            g{source="s",status="PAUSED"} 1
            # HELP x_total Things.
            # TYPE x_total counter
            x_total{sink="a\\"b\\\\c\\nd"} 3

            """)
    }
}
