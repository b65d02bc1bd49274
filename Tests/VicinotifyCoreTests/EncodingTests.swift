import Foundation
import Testing
import VicinotifyCore

@Suite struct EncodingTests {
    @Test func timestampFormatsAndParsesRFC3339() {
        let t = Timestamp(millisecondsSince1970: 1_795_517_130_412)
        #expect(t.description == "2026-11-24T10:45:30.412Z")
        #expect(Timestamp(rfc3339: "2026-11-24T10:45:30.412Z") == t)
        #expect(Timestamp(rfc3339: "2026-11-24T10:45:30Z") == Timestamp(millisecondsSince1970: 1_795_517_130_000))
        #expect(Timestamp(millisecondsSince1970: 0).description == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(millisecondsSince1970: 951_782_400_000).description == "2000-02-29T00:00:00.000Z")
        #expect(Timestamp(rfc3339: "yesterday") == nil)
        #expect(Timestamp(rfc3339: "2026-13-01T00:00:00Z") == nil)
    }

    @Test func eventIDsAreUUIDv7() {
        var g = EventIDGenerator(seed: 7)
        let t = Timestamp(millisecondsSince1970: 1_795_517_130_412)
        let ids = (0..<5000).map { _ in g.next(at: t) }
        for id in ids.prefix(20) {
            #expect(id.count == 36)
            let chars = Array(id)
            #expect(chars[14] == "7", "version 7")
            #expect("89ab".contains(chars[19]), "RFC 9562 variant")
            #expect(id.hasPrefix("01a20d29-26ac"), "48-bit millisecond timestamp first")
        }
        #expect(ids == ids.sorted(), "time-ordered within a millisecond too")
        #expect(Set(ids).count == ids.count)
    }

    @Test func agentEventMatchesTheProductFormat() throws {
        let before = AgentState(user: "agent001", status: "READY", pauseCode: "LOGIN", campaignID: "TESTCAMP",
                                fullName: "John \"JD\" Doe\\", userGroup: "AGENTS", userLevel: 1)
        var after = before
        after.status = "INCALL"
        after.leadID = 1_079_409
        after.callerID = "M2260919190001079409"
        let change = AgentChange(type: .statusChanged, previous: before, current: after,
                                 changed: before.changedFields(to: after), previousStateSeconds: 42,
                                 since: Timestamp(millisecondsSince1970: 1_795_517_130_412), sinceKnown: true)
        let event = Event(id: "0193a6c2-7c1e-7a3b-9f1d-2b6f0c9e4a11", source: "vicidial://dialer1.example.com",
                          sourceName: "dialer1", type: .statusChanged, subject: "agent001",
                          time: Timestamp(millisecondsSince1970: 1_795_517_130_412), sequence: 12345,
                          payload: .agent(change, afterGap: false))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(EventEncoder.encode(event))) as? [String: Any])
        #expect(json["specversion"] as? String == "1.0")
        #expect(json["id"] as? String == "0193a6c2-7c1e-7a3b-9f1d-2b6f0c9e4a11")
        #expect(json["source"] as? String == "vicidial://dialer1.example.com")
        #expect(json["type"] as? String == "vicidial.agent.status_changed")
        #expect(json["subject"] as? String == "agent001")
        #expect(json["time"] as? String == "2026-11-24T10:45:30.412Z")
        #expect(json["sequence"] as? String == "000000000000012345")
        #expect(json["datacontenttype"] as? String == "application/json")
        let data = try #require(json["data"] as? [String: Any])
        #expect(data["agent"] as? String == "agent001")
        #expect(data["full_name"] as? String == "John \"JD\" Doe\\")
        #expect(data["campaign_id"] as? String == "TESTCAMP")
        #expect(data["user_group"] as? String == "AGENTS")
        #expect(data["changed"] as? [String] == ["status", "lead_id", "callerid"])
        #expect(data["previous_state_seconds"] as? Double == 42.0)
        #expect(data["after_gap"] as? Bool == false)
        let previous = try #require(data["previous"] as? [String: Any])
        let current = try #require(data["current"] as? [String: Any])
        #expect(previous["pause_code"] as? String == "", "a stale pause code never reaches the stream")
        #expect(current["lead_id"] as? Int == 1_079_409)
        #expect(current["callerid"] as? String == "M2260919190001079409")
        #expect(current["call_type_hint"] as? String == "manual", "an M call id is a manual dial")
        #expect(current["call_type"] == nil, "the API source does not know the report's letter")
        #expect(data["state_since"] as? String == "2026-11-24T10:45:30.412Z")
        #expect(Set(current.keys) == ["status", "sub_status", "pause_code", "lead_id", "callerid", "call_type_hint", "campaign_id",
                                      "user_group", "full_name", "user_level", "session_id", "calls_today"])
    }

    @Test func loginAndLogoutCarryNullSides() throws {
        let a = AgentState(user: "u1", status: "PAUSED", pauseCode: "LOGIN", campaignID: "C", fullName: "N", userGroup: "G")
        for (change, nullKey) in [(AgentChange(type: .loggedIn, previous: nil, current: a, changed: [], previousStateSeconds: nil), "previous"),
                                  (AgentChange(type: .loggedOut, previous: a, current: nil, changed: [], previousStateSeconds: 3.25), "current")] {
            let e = Event(id: "x", source: "s", sourceName: "s", type: change.type, subject: "u1",
                          time: Timestamp(millisecondsSince1970: 0), sequence: 1, payload: .agent(change, afterGap: true))
            let data = try #require((try JSONSerialization.jsonObject(with: Data(EventEncoder.encode(e))) as? [String: Any])?["data"] as? [String: Any])
            #expect(data[nullKey] is NSNull)
            #expect(data["campaign_id"] as? String == "C", "agent-level fields stay filled")
            #expect(data["after_gap"] as? Bool == true)
            #expect(data["state_since"] is NSNull, "unknown after a gap, and none after a logout")
        }
    }

    @Test(arguments: [("V1124100000001079409", CallType.auto), ("M2260919190001079409", .manual),
                      ("Y1124100000001079409", .inbound), ("J1124193007000004004", .inbound), ("E1124193006000004002", .email),
                      ("DC943083W0000002004W", .auto), ("D1124100000", .other), ("VH112410000", .other), ("S1124100000", .other),
                      ("", .none)])
    func callTypeFromTheCallIDPrefix(_ callerID: String, _ type: CallType) {
        #expect(AgentState(user: "u", status: "INCALL", callerID: callerID).callType == type)
    }

    @Test func controlCharactersAreEscaped() throws {
        var w = JSONWriter()
        w.string("a\u{01}\n\t\"\\é")
        #expect(String(decoding: w.bytes, as: UTF8.self) == "\"a\\u0001\\n\\t\\\"\\\\é\"")
        var n = JSONWriter()
        n.int(-1234); n.raw(","); n.int(0); n.raw(","); n.seconds(0.25); n.raw(","); n.seconds(42)
        #expect(String(decoding: n.bytes, as: UTF8.self) == "-1234,0,0.25,42.0")
    }
}
