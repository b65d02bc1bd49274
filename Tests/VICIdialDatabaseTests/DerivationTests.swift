import Foundation
import MariaDB
import TestSupport
import Testing
import VICIdial
import VICIdialDatabase
import VicinotifyCore

/// The database source's derivations on a real MariaDB with VICIdial's tables: each agent below is set up
/// the way VICIdial's own code leaves the rows in that state, and must read as `non_agent_api.php`'s
/// `logged_in_agents` shows it (status, sub-status, pause code, lead) and as the real-time report counts
/// it (call letter from `comments`, clock from `last_state_change` or `last_call_time`).
@Suite struct DerivationTests {
    struct Case: Sendable, CustomStringConvertible {
        var user: String, status: String, sub: String, pause: String, lead: Int64, letter: String
        /// Seconds the report's clock shows: from `last_state_change` (ls) or `last_call_time` (lc) as seeded below.
        var seconds: Int64
        var rule: String
        var description: String { "\(user): \(rule)" }
    }

    /// Live rows: user, status, lead, callerid, comments, agent_log sub_status, seconds since the state
    /// change (ls) and since the call (lc), extra columns.
    static let seed = """
        INSERT INTO vicidial_users (user, full_name, user_group, user_level, pass) VALUES
          ('a01','A','G',1,'p'),('a02','B','G',1,'p'),('a03','C','G',1,'p'),('a04','D','G',1,'p'),('a05','E','G',1,'p'),
          ('a06','F','G',1,'p'),('a07','G','G',1,'p'),('a08','H','G',1,'p'),('a09','I','G',1,'p'),('a10','J','G',1,'p'),
          ('a11','K','G',1,'p'),('a12','L','G',1,'p'),('a13','M','G',1,'p'),('a14','N','G',1,'p'),('a15','O','G',9,'p');
        INSERT INTO vicidial_agent_log (agent_log_id, user, sub_status) VALUES
          (1,'a01','BRK2'),(2,'a02','LOGIN'),(3,'a03','LOGIN'),(4,'a04',''),(5,'a05','LUNCH'),(6,'a06','LOGIN'),(7,'a07','LOGIN'),
          (8,'a08','LOGIN'),(9,'a09','LOGIN'),(10,'a10',''),(11,'a11','LOGIN'),(12,'a12','LOGIN'),(13,'a13','LOGIN'),
          (14,'a14',NULL),(15,'a15','LAGGED');
        INSERT INTO vicidial_live_agents (user, conf_exten, status, lead_id, preview_lead_id, campaign_id, callerid, comments,
            agent_log_id, on_hook_agent, ring_callerid, last_state_change, last_call_time) VALUES
          ('a01','8600051','PAUSED',0,0,'TEST','','',1,'N','',NOW() - INTERVAL 67 SECOND,NOW() - INTERVAL 500 SECOND),
          ('a02','8600052','READY',0,0,'TEST','','',2,'N','',NOW() - INTERVAL 14 SECOND,NOW() - INTERVAL 500 SECOND),
          ('a03','8600053','INCALL',1079409,0,'TEST','V1124193002001079409','AUTO',3,'N','',NOW() - INTERVAL 30 SECOND,NOW() - INTERVAL 375 SECOND),
          ('a04','8600054','INCALL',104,0,'TEST','M1124193002000000104','MANUAL',4,'N','',NOW() - INTERVAL 9 SECOND,NOW() - INTERVAL 60 SECOND),
          ('a05','8600055','INCALL',2003,0,'TEST','M1124193003000002003','MANUAL',5,'N','',NOW() - INTERVAL 11 SECOND,NOW() - INTERVAL 11 SECOND),
          ('a06','8600056','INCALL',2004,0,'TEST','M1124193003000002004','MANUAL',6,'N','',NOW() - INTERVAL 5 SECOND,NOW() - INTERVAL 90 SECOND),
          ('a07','8600057','INCALL',2004,0,'TEST','M1124193003000002005','MANUAL',7,'N','',NOW() - INTERVAL 5 SECOND,NOW() - INTERVAL 47 SECOND),
          ('a08','8600058','INCALL',3001,0,'TEST','V1124193004000003001','AUTO',8,'N','',NOW() - INTERVAL 3 SECOND,NOW() - INTERVAL 152 SECOND),
          ('a09','8600059','PAUSED',3002,0,'TEST','','',9,'N','',NOW() - INTERVAL 35 SECOND,NOW() - INTERVAL 200 SECOND),
          ('a10','8600060','PAUSED',0,2005,'TEST','','',10,'N','',NOW() - INTERVAL 16 SECOND,NOW() - INTERVAL 200 SECOND),
          ('a11','8600061','READY',0,0,'TEST','','',11,'Y','S1124193005000004001XX',NOW() - INTERVAL 6 SECOND,NOW() - INTERVAL 200 SECOND),
          ('a12','8600062','INCALL',4001,0,'TEST','Y1124193005000004001','INBOUND',12,'N','',NOW() - INTERVAL 20 SECOND,NOW() - INTERVAL 63 SECOND),
          ('a13','8600063','INCALL',4002,0,'TEST','E1124193006000004002','EMAIL',13,'N','',NOW() - INTERVAL 20 SECOND,NOW() - INTERVAL 82 SECOND),
          ('a14','8600064','INCALL',4003,0,'TEST','','CHAT',14,'N','',NOW() - INTERVAL 20 SECOND,NOW() - INTERVAL 40 SECOND),
          ('a15','8600065','PAUSED',0,0,'TEST','','',15,'N','',NOW() - INTERVAL 402 SECOND,NOW() - INTERVAL 900 SECOND);
        INSERT INTO vicidial_auto_calls (campaign_id, status, lead_id, uniqueid, callerid, channel, call_time, call_type) VALUES
          ('TEST','XFER',1079409,'1700000000.1','V1124193002001079409','SIP/t-1',NOW(),'OUT'),
          ('TEST','XFER',2003,'','M1124193003000002003','',NOW(),'OUT'),
          ('TEST','XFER',2004,'1700000000.3','M1124193003000002004','SIP/t-3',NOW(),'OUT'),
          ('TEST','XFER',2004,'1700000000.4','M1124193003000002005','SIP/t-4',NOW(),'OUT'),
          ('TEST','XFER',3001,'1700000000.5','V1124193004000003001','SIP/t-5',NOW(),'OUT'),
          ('SUPPORT','CLOSER',4001,'1700000000.6','Y1124193005000004001','SIP/t-6',NOW(),'IN');
        INSERT INTO parked_channels (channel, server_ip, channel_group, parked_time) VALUES ('SIP/t-5','10.0.0.1','V1124193004000003001',NOW());
        INSERT INTO vicidial_live_chats (chat_id, chat_creator, lead_id, chat_start_time) VALUES (77,'a14',4003,NOW() - INTERVAL 40 SECOND);
        INSERT INTO vicidial_chat_log (chat_id, message) VALUES ('77','Customer has left chat');
        """

    static let cases: [Case] = [
        Case(user: "a01", status: "PAUSED", sub: "", pause: "BRK2", lead: 0, letter: "", seconds: 67, rule: "a coded pause; clock from last_state_change"),
        Case(user: "a02", status: "READY", sub: "", pause: "", lead: 0, letter: "", seconds: 14, rule: "ready"),
        Case(user: "a03", status: "INCALL", sub: "", pause: "", lead: 1_079_409, letter: "A", seconds: 375, rule: "an auto call; clock from last_call_time"),
        Case(user: "a04", status: "INCALL", sub: "DEAD", pause: "", lead: 104, letter: "M", seconds: 9, rule: "no auto-calls row: DEAD, clock from last_state_change"),
        Case(user: "a05", status: "INCALL", sub: "DIAL", pause: "", lead: 2003, letter: "M", seconds: 11, rule: "MANUAL, short uniqueid and channel: DIAL"),
        Case(user: "a06", status: "INCALL", sub: "3-WAY", pause: "", lead: 2004, letter: "M", seconds: 47, rule: "two agents on one lead: 3-WAY, clock from the latest"),
        Case(user: "a07", status: "INCALL", sub: "3-WAY", pause: "", lead: 2004, letter: "M", seconds: 47, rule: "the other leg"),
        Case(user: "a08", status: "INCALL", sub: "PARK", pause: "", lead: 3001, letter: "A", seconds: 152, rule: "parked: PARK, clock from the call"),
        Case(user: "a09", status: "PAUSED", sub: "DISPO", pause: "", lead: 3002, letter: "", seconds: 35, rule: "paused with a lead: DISPO, the LOGIN code blanked as the report does"),
        Case(user: "a10", status: "PAUSED", sub: "PREVIEW", pause: "", lead: 2005, letter: "", seconds: 16, rule: "a preview lead"),
        Case(user: "a11", status: "READY", sub: "RING", pause: "", lead: 0, letter: "", seconds: 6, rule: "on-hook agent ringing"),
        Case(user: "a12", status: "INCALL", sub: "", pause: "", lead: 4001, letter: "I", seconds: 63, rule: "inbound: the letter from comments"),
        Case(user: "a13", status: "INCALL", sub: "", pause: "", lead: 4002, letter: "E", seconds: 82, rule: "an email is never DEAD"),
        Case(user: "a14", status: "INCALL", sub: "DEAD", pause: "", lead: 4003, letter: "M", seconds: 20, rule: "a chat whose customer left: DEAD"),
        Case(user: "a15", status: "PAUSED", sub: "", pause: "LAGGED", lead: 0, letter: "", seconds: 402, rule: "LAGGED leaves the clock alone"),
    ]

    @Test func eachAgentReadsAsTheAPIShowsItAndTheReportCountsIt() async throws {
        let db = try await TestMariaDB.database()
        let seeded = Timestamp.now()  // the seed's NOW() falls between this and `polled`, whole seconds
        try await db.run(Self.seed)
        let reader = DatabaseFloorReader(source: Self.source(db.name))
        let snapshot = try await reader.poll(known: KnownFloor()).get()
        let polled = Timestamp.now()
        let byUser = Dictionary(snapshot.agents.map { ($0.user, $0) }) { a, _ in a }
        #expect(snapshot.agents.count == Self.cases.count)
        for c in Self.cases {
            let a = try #require(byUser[c.user], "\(c)")
            #expect(a.status == c.status, "\(c)")
            #expect(a.subStatus == c.sub, "\(c)")
            #expect(a.pauseCode == c.pause, "\(c)")
            #expect(a.leadID == c.lead, "\(c)")
            #expect(a.callTypeLetter == c.letter, "\(c)")
            #expect(a.liveAgentID != nil, "\(c)")
            let since = try #require(a.reportedSince, "\(c)")
            let early = seeded.seconds(since: since), late = polled.seconds(since: since)
            #expect(early <= Double(c.seconds) + 1.5 && late >= Double(c.seconds) - 0.5, "\(c): \(early)...\(late) s")
        }
        #expect(byUser["a15"]?.userLevel == 9)
        await db.drop()
    }

    static func source(_ database: String, user: String = "vicinotify_rw", password: String = TestMariaDB.password,
                       port: Int = TestMariaDB.port, maxLag: Double = 5) -> VICIdialSource {
        var s = VICIdialSource(name: "db", url: "", user: user, password: password, mode: .database, timeout: 3)
        s.database = DatabaseLocation(port: port, name: database, user: user, password: password, maxLag: maxLag)
        return s
    }
}
