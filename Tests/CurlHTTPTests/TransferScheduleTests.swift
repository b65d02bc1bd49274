@testable import CurlHTTP
import Testing

/// The libcurl loop's decisions by tables: a group's requests start up to its limit, each result makes
/// room, an answer that stops the group skips the rest, and cancelling or shutting down fails what is left.
@Suite struct TransferScheduleTests {
    typealias A = TransferSchedule.Action

    @Test func aGroupStartsUpToItsLimitAndEachResultMakesRoom() {
        var s = TransferSchedule()
        #expect(s.add(1, count: 5, maxInFlight: 2) == [.start(group: 1, index: 0), .start(group: 1, index: 1)])
        #expect(s.finished(1, stop: false) == [.start(group: 1, index: 2)])
        #expect(s.startFailed(1) == [.start(group: 1, index: 3)], "a request libcurl refused has its result: the next starts")
        #expect(s.finished(1, stop: false) == [.start(group: 1, index: 4)])
        #expect(s.finished(1, stop: false).isEmpty && s.groups[1] != nil, "one still in flight")
        #expect(s.finished(1, stop: false).isEmpty && s.groups[1] == nil, "forgotten once every request has a result")
    }

    @Test func anAnswerThatStopsTheGroupSkipsWhatWasNotSent() {
        var s = TransferSchedule()
        #expect(s.add(7, count: 5, maxInFlight: 3).count == 3)
        #expect(s.finished(7, stop: false) == [.start(group: 7, index: 3)])
        #expect(s.finished(7, stop: true) == [.skip(group: 7, index: 4)], "4 is never sent; 2 and 3 are still in flight")
        #expect(s.groups[7]?.unfinished == 2)
        #expect(s.finished(7, stop: false).isEmpty && s.finished(7, stop: false).isEmpty)
        #expect(s.groups[7] == nil)
    }

    @Test func cancellingAndShuttingDownFailWhatIsLeft() {
        var s = TransferSchedule()
        _ = s.add(1, count: 3, maxInFlight: 1)
        _ = s.add(2, count: 3, maxInFlight: 1)
        _ = s.add(3, count: 1, maxInFlight: 1)
        #expect(s.cancel(2) == [.fail(group: 2, because: .cancelled)])
        #expect(s.cancel(2).isEmpty, "an unknown group: nothing")
        #expect(s.finished(2, stop: false).isEmpty, "a late result of a cancelled group changes nothing")
        #expect(s.shutdown() == [.fail(group: 1, because: .shutdown), .fail(group: 3, because: .shutdown)])
        #expect(s.groups.isEmpty)
    }

    @Test(arguments: [0, -3])
    func aLimitBelowOneStillStartsOne(_ limit: Int) {
        var s = TransferSchedule()
        #expect(s.add(9, count: 2, maxInFlight: limit) == [.start(group: 9, index: 0)])
    }
}
