/// Renders events as CloudEvents 1.0 structured-mode JSON, one compact object, fields in a fixed order.
public enum EventEncoder {
    public static func encode(_ event: Event) -> [UInt8] {
        var w = JSONWriter()
        w.bytes.reserveCapacity(1280)  // a typical agent event is 900-1000 bytes: one allocation
        w.raw("{\"specversion\":\"1.0\",\"id\":"); w.string(event.id)
        w.raw(",\"source\":"); w.string(event.source)
        w.raw(",\"type\":"); w.string(event.type.rawValue)
        w.raw(",\"subject\":"); w.string(event.subject)
        w.raw(",\"time\":\""); event.time.appendRFC3339(to: &w.bytes)
        w.raw("\",\"sequence\":\""); w.padded(event.sequence, width: 18)
        w.raw("\",\"datacontenttype\":\"application/json\",\"dataschema\":\"urn:vicinotify:schema:")
        w.raw(event.type.rawValue)
        w.raw(":v1\",\"data\":")
        switch event.payload {
        case .agent(let change, let afterGap): agentData(change, afterGap: afterGap, into: &w)
        case .threshold(let change, let crossing): agentData(change, afterGap: false, crossing: crossing, into: &w)
        case .source(let health): sourceData(health, type: event.type, time: event.time, into: &w)
        case .queue(let change): queueData(change, into: &w)
        case .queueAlert(let alert): queueAlertData(alert, into: &w)
        }
        w.raw("}")
        return w.bytes
    }

    public static func sequenceText(_ sequence: UInt64) -> String {
        var w = JSONWriter()
        w.padded(sequence, width: 18)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    private static func agentData(_ c: AgentChange, afterGap: Bool, crossing: ThresholdCrossing? = nil, into w: inout JSONWriter) {
        let agent = (c.current ?? c.previous)!
        w.raw("{\"agent\":"); w.string(agent.user)
        w.raw(",\"full_name\":"); w.string(agent.fullName)
        w.raw(",\"campaign_id\":"); w.string(agent.campaignID)
        w.raw(",\"user_group\":"); w.string(agent.userGroup)
        w.raw(",\"previous\":"); state(c.previous, into: &w)
        w.raw(",\"current\":"); state(c.current, into: &w)
        w.raw(",\"changed\":")
        w.strings(c.changed.lazy.map(\.rawValue))
        w.raw(",\"previous_state_seconds\":")
        if let s = c.previousStateSeconds { w.seconds(s) } else { w.raw("null") }
        for (key, time) in [(",\"state_since\":", c.stateSince), (",\"status_since\":", c.statusSince)] {
            w.raw(key)
            if let t = time {
                w.raw("\""); t.appendRFC3339(to: &w.bytes); w.raw("\"")
            } else {
                w.raw("null")
            }
        }
        w.raw(afterGap ? ",\"after_gap\":true" : ",\"after_gap\":false")
        if let crossing {
            w.raw(",\"rule\":"); w.string(crossing.rule)
            w.raw(",\"longer_than_seconds\":"); w.seconds(crossing.longerThan)
            w.raw(",\"seconds\":"); w.seconds(crossing.seconds)
        }
        w.raw("}")
    }

    /// An agent state as the `previous` / `current` objects of events show it (`null` for `nil`).
    public static func state(_ s: AgentState?, into w: inout JSONWriter) {
        guard let s else { w.raw("null"); return }
        w.raw("{\"status\":"); w.string(s.status)
        w.raw(",\"sub_status\":"); w.string(s.subStatus)
        w.raw(",\"pause_code\":"); w.string(s.pauseCode)
        w.raw(",\"lead_id\":"); w.int(s.leadID)
        w.raw(",\"callerid\":"); w.string(s.callerID)
        w.raw(",\"call_type_hint\":"); w.string(s.callType.rawValue)
        if let v = s.callTypeLetter { w.raw(",\"call_type\":"); w.string(v) }
        w.raw(",\"campaign_id\":"); w.string(s.campaignID)
        w.raw(",\"user_group\":"); w.string(s.userGroup)
        w.raw(",\"full_name\":"); w.string(s.fullName)
        w.raw(",\"user_level\":"); w.int(Int64(s.userLevel))
        w.raw(",\"session_id\":"); w.string(s.sessionID)
        w.raw(",\"calls_today\":"); w.int(Int64(s.callsToday))
        if let v = s.phoneNumber { w.raw(",\"phone_number\":"); w.string(v) }
        if let v = s.vendorLeadCode { w.raw(",\"vendor_lead_code\":"); w.string(v) }
        if let v = s.liveAgentID { w.raw(",\"live_agent_id\":"); w.int(v) }
        if let v = s.inGroups { w.raw(",\"in_groups\":"); w.strings(v) }
        w.raw("}")
    }

    private static func queueData(_ c: QueueChange, into w: inout JSONWriter) {
        w.raw("{\"queue\":"); w.string(c.current.queue)
        w.raw(",\"kind\":"); w.string(c.current.kind.rawValue)
        w.raw(",\"name\":"); w.string(c.current.name)
        w.raw(",\"campaigns\":"); w.strings(c.current.campaigns)
        w.raw(",\"previous\":"); queue(c.previous, into: &w)
        w.raw(",\"current\":"); queue(c.current, into: &w)
        w.raw(",\"changed\":"); w.strings(c.changed.lazy)
        w.raw("}")
    }

    private static func queueAlertData(_ a: QueueAlert, into w: inout JSONWriter) {
        w.raw("{\"queue\":"); w.string(a.queue.queue)
        w.raw(",\"kind\":"); w.string(a.queue.kind.rawValue)
        w.raw(",\"name\":"); w.string(a.queue.name)
        w.raw(",\"campaigns\":"); w.strings(a.queue.campaigns)
        w.raw(",\"rule\":"); w.string(a.rule.name)
        w.raw(",\"condition\":"); w.string(a.rule.condition.text)
        w.raw(",\"for_seconds\":"); w.seconds(a.rule.holdFor)
        w.raw(",\"seconds\":"); w.seconds(a.seconds)
        w.raw(",\"current\":"); queue(a.queue, into: &w)
        w.raw("}")
    }

    /// A queue's figures as `previous` / `current` show them (`null` for a figure the source cannot give).
    public static func queue(_ q: QueueState?, into w: inout JSONWriter) {
        guard let q else { w.raw("null"); return }
        var first = true
        for (name, value) in q.figures {
            w.raw(first ? "{\"" : ",\""); w.raw(name); w.raw("\":")
            if let value { w.int(Int64(value)) } else { w.raw("null") }
            first = false
        }
        for (name, value) in q.percentages {
            w.raw(",\""); w.raw(name); w.raw("\":")
            if let value { w.seconds(value) } else { w.raw("null") }
        }
        w.raw("}")
    }

    private static func sourceData(_ h: SourceHealthChange, type: EventType, time: Timestamp, into w: inout JSONWriter) {
        w.raw("{\"source\":"); w.string(h.source)
        w.raw(",\"url\":"); w.string(h.url)
        w.raw(",\"reason\":"); w.string(h.reason)
        w.raw(",\"message\":"); w.string(h.message)
        w.raw(",\"failed_polls\":"); w.int(Int64(h.failedPolls))
        w.raw(",\"since\":\""); h.since.appendRFC3339(to: &w.bytes)
        w.raw("\"")
        if type == .sourceUp { w.raw(",\"down_seconds\":"); w.seconds(time.seconds(since: h.since)) }
        w.raw("}")
    }
}

/// Appends JSON tokens to a byte buffer.
public struct JSONWriter {
    public var bytes: [UInt8] = []
    public init() {}

    public mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
    public mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    public mutating func int(_ v: Int64) {
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        var m = v.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // up to 24 digits, as bytes, right-aligned
        var n = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            repeat {
                n += 1
                buf[24 - n] = UInt8(48 + m % 10)
                m /= 10
            } while m > 0
            bytes.append(contentsOf: buf[(24 - n)...])
        }
    }

    /// An unsigned number left-padded with zeros to `width` digits.
    public mutating func padded(_ v: UInt64, width: Int) {
        var text: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var m = v
        var digits = 1
        var rest = v
        while rest >= 10 { rest /= 10; digits += 1 }
        let w = min(max(width, digits), 24)
        withUnsafeMutableBytes(of: &text) { buf in
            for i in stride(from: w - 1, through: 0, by: -1) {
                buf[i] = UInt8(48 + m % 10)
                m /= 10
            }
            bytes.append(contentsOf: buf[..<w])
        }
    }

    /// Seconds with millisecond precision and at least one fraction digit: `42.0`, `0.25`.
    public mutating func seconds(_ v: Double) {
        let ms = Int64((v * 1000).rounded())
        int(ms / 1000)
        bytes.append(UInt8(ascii: "."))
        let frac = ms % 1000
        if frac == 0 { bytes.append(UInt8(ascii: "0")); return }
        var digits: [UInt8] = [UInt8(48 + frac / 100), UInt8(48 + frac / 10 % 10), UInt8(48 + frac % 10)]
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        bytes.append(contentsOf: digits)
    }

    /// `list` as a JSON array of strings.
    public mutating func strings(_ list: some Sequence<String>) {
        raw("[")
        for (i, s) in list.enumerated() {
            if i > 0 { raw(",") }
            string(s)
        }
        raw("]")
    }

    public mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        let clean = s.withUTF8 { buf in
            guard !buf.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            bytes.append(contentsOf: buf)
            return true
        }
        if clean {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
            case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 48, 48, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
