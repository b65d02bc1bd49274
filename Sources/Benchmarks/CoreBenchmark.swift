import ArgumentParser
import Foundation
import Simulator
import VICIdial
import VicinotifyCore

/// Parse, diff and encode throughput on synthetic floors, one core.
struct CoreBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "core",
        abstract: "Parse + diff + encode on floors of 1k/10k/100k agents with 1%/10%/100% changing per poll.")

    @Option(help: "Floor sizes, comma-separated.")
    var agents = "1000,10000,100000"

    @Option(help: "Percentages of agents changing per poll, comma-separated.")
    var changing = "1,10,100"

    @Option(help: "Measured repetitions per case (the median is reported).")
    var runs = 5

    func run() throws {
        let sizes = agents.split(separator: ",").compactMap { Int($0) }
        let percents = changing.split(separator: ",").compactMap { Int($0) }
        print("agents  changing   parse ms   agents/s     diff ms   encode ms   events/s    total ms")
        for n in sizes {
            let before = Self.floor(n, changingPercent: 0)
            let bodyBefore = Array(VICIdialText.loggedInAgents(before, delimiter: "\t", header: true, subStatus: true).utf8)
            guard case .success(let initial) = ResponseParser.loggedInAgents(bodyBefore, delimiter: 9, password: "") else {
                throw ValidationError("benchmark floor did not parse")
            }
            func baseline() -> SourceTracker {
                var t = SourceTracker(name: "bench", eventSource: "vicidial://bench", redactedURL: "", idSeed: 1)
                _ = t.observe(initial, at: Timestamp(millisecondsSince1970: 1_795_500_000_000))
                return t
            }
            for pct in percents {
                let body = Array(VICIdialText.loggedInAgents(Self.floor(n, changingPercent: pct), delimiter: "\t",
                                                             header: true, subStatus: true).utf8)
                var parse: [Double] = [], diff: [Double] = [], encode: [Double] = []
                var eventCount = 0
                for run in 0...runs {
                    var tracker = baseline()
                    var t = DispatchTime.now().uptimeNanoseconds
                    func lap() -> Double {
                        let now = DispatchTime.now().uptimeNanoseconds
                        defer { t = now }
                        return Double(now - t) / 1e6
                    }
                    guard case .success(let rows) = ResponseParser.loggedInAgents(body, delimiter: 9, password: "") else {
                        throw ValidationError("benchmark floor did not parse")
                    }
                    let p = lap()
                    let events = tracker.observe(rows, at: Timestamp(millisecondsSince1970: 1_795_500_001_000))
                    let d = lap()
                    let encoded = events.map(EncodedEvent.init)
                    let e = lap()
                    eventCount = encoded.count
                    if run > 0 { parse.append(p); diff.append(d); encode.append(e) }  // run 0 warms up
                }
                let (p, d, e) = (median(parse), median(diff), median(encode))
                print(String(format: "%6d  %7d%%  %9.2f  %9.0f  %10.2f  %10.2f  %9.0f  %10.2f",
                             n, pct, p, Double(n) / p * 1000, d, e, Double(eventCount) / max(d + e, 0.001) * 1000, p + d + e))
            }
        }
        print("peak RSS: \(Memory.mb(Memory.peakRSS))")
    }

    private func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

    /// `n` agents; the first `changingPercent`% of every hundred differ from the baseline floor.
    static func floor(_ n: Int, changingPercent: Int) -> [SimAgent] {
        (0..<n).map { i in
            var a = SimAgent(user: "agent\(i)", fullName: i % 7 == 0 ? "Bond, James" : "Agent Number \(i)")
            a.campaignID = ["SALES", "SUPPORT", "TESTCAMP"][i % 3]
            a.userGroup = ["AGENTS", "SUPPORT"][i % 2]
            a.sessionID = String(8_600_000 + i)
            a.userLevel = 1
            a.status = "READY"
            a.pauseCode = "LOGIN"
            if i % 100 < changingPercent {
                a.status = "INCALL"
                a.leadID = Int64(1_000_000 + i)
                a.callerID = "M112410000000" + String(1_000_000 + i)
            }
            return a
        }
    }
}
