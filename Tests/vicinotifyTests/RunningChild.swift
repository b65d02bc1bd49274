import Foundation
import TestSupport

/// A child process and its output, stopped when the test is done.
final class RunningChild: @unchecked Sendable {
    let process: Child
    let stdout: OperationsTests.Collector, stderr: OperationsTests.Collector

    init(_ args: [String], environment: [String: String] = [:], directory: String? = nil) throws {
        process = try Child(args[0], Array(args.dropFirst()), environment: environment, directory: directory)
        stdout = OperationsTests.Collector(process.standardOutput!)
        stderr = OperationsTests.Collector(process.standardError!)
    }

    /// The events printed so far, one CloudEvent JSON per line.
    var events: [[String: Any]] {
        stdout.text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Waits (at most `timeout` s) until `condition` holds for the printed events.
    func wait(timeout: Double = 20, until condition: ([[String: Any]]) -> Bool) async -> Bool {
        let end = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < end {
            if condition(events) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition(events)
    }

    func stop() async { await process.stop() }
}
