/// One non-agent API call: its function and fields. It is sent as an `application/x-www-form-urlencoded`
/// POST body, so neither the password nor anything else reaches a web server's or proxy's access log.
struct APIRequest {
    var function: String
    var fields: [(String, String)]

    static func loggedInAgents(_ s: VICIdialSource) -> APIRequest {
        var fields: [(String, String)] = [("show_sub_status", "YES"), ("stage", s.stage.rawValue)]
        if s.header { fields.append(("header", "YES")) }
        if !s.campaigns.isEmpty { fields.append(("campaigns", s.campaigns.joined(separator: "|"))) }
        if !s.userGroups.isEmpty { fields.append(("user_groups", s.userGroups.joined(separator: "|"))) }
        return APIRequest(function: "logged_in_agents", fields: fields)
    }

    static func agentStatus(_ s: VICIdialSource, agent: String) -> APIRequest {
        var fields: [(String, String)] = [("agent_user", agent), ("stage", s.stage.rawValue)]
        if s.header { fields.append(("header", "YES")) }
        return APIRequest(function: "agent_status", fields: fields)
    }

    /// The form body: `source`, `user`, `pass`, `function`, then the function's fields.
    func form(for s: VICIdialSource) -> String {
        var q = "source=" + Self.percentEncode(s.apiSource) + "&user=" + Self.percentEncode(s.user)
            + "&pass=" + Self.percentEncode(s.password) + "&function=" + Self.percentEncode(function)
        for (k, v) in fields { q += "&" + k + "=" + Self.percentEncode(v) }
        return q
    }

    static func percentEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(b >> 4)])
                out.unicodeScalars.append(hex[Int(b & 0xF)])
            }
        }
        return out
    }
}
