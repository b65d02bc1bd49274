import HandOverTrace
import Testing

@Suite struct HandOverTraceTests {
    static func mark(_ stage: String, _ thread: UInt, _ task: Int?) -> HandOverTrace.Mark {
        HandOverTrace.Mark(stage: stage, thread: thread, task: task)
    }

    /// The way is the anchor's first mark, the last `before` marks ahead of it, the first `after` marks behind it.
    @Test func pathPicksTheEventsOwnMarks() throws {
        let marks = [Self.mark("answer", 1, nil), Self.mark("parse", 2, 7),     // a poll with nothing new
                     Self.mark("answer", 1, nil), Self.mark("parse", 3, 7),     // the poll with the event
                     Self.mark("commit", 4, 7), Self.mark("send", 2, 8), Self.mark("commit", 4, 7), Self.mark("send", 3, 9)]
        let path = try #require(HandOverTrace.path(before: ["answer", "parse"], anchor: "commit", after: ["send"], in: marks))
        #expect(path == [marks[2], marks[3], marks[4], marks[5]])
        #expect(HandOverTrace.handOvers(path) == 3)
        #expect(HandOverTrace.path(before: ["answer"], anchor: "commit", after: ["write"], in: marks) == nil)
        #expect(HandOverTrace.path(before: ["other"], anchor: "commit", after: [], in: marks) == nil)
    }

    @Test(arguments: [
        (mark("a", 1, 5), mark("b", 1, 5), false),   // same thread, same task
        (mark("a", 1, 5), mark("b", 2, 5), true),    // the task moved to another thread (an actor on a worker thread)
        (mark("a", 1, 5), mark("b", 1, 6), true),    // another task on the same pool thread
        (mark("a", 1, nil), mark("b", 1, 5), true),  // a C thread resumed a task
    ])
    func aHandOverIsAnotherThreadOrAnotherTask(_ from: HandOverTrace.Mark, _ to: HandOverTrace.Mark, _ expected: Bool) {
        #expect(to.isHandOver(from: from) == expected)
    }

    @Test func marksAreRecordedOnlyWhileOn() {
        HandOverTrace.mark("before")
        HandOverTrace.start()
        HandOverTrace.mark("during")
        let marks = HandOverTrace.stop()
        HandOverTrace.mark("after")
        // Other tests' daemons in this process may mark meanwhile: only this test's stages are looked at.
        let mine = marks.filter { ["before", "during", "after"].contains($0.stage) }
        #expect(mine.map(\.stage) == ["during"])
        #expect(mine.first?.task != nil, "a test runs in a task")
    }
}
