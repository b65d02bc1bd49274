import Foundation

/// Removes the API password from any text that may reach a person: URLs, VICIdial's error lines (which
/// echo the password, after VICIdial strips some characters from it) and snippets of unexpected bodies.
public enum Redactor {
    public static let mask = "REDACTED"

    public static func redact(_ text: String, password: String) -> String {
        var out = text
        if out.hasPrefix("ERROR: Login incorrect") {
            // `ERROR: Login incorrect, please try again: |USER|PASS|BAD|`: mask the whole second field,
            // whatever VICIdial made of the password.
            var fields = out.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            if fields.count > 2 { fields[2] = mask }
            out = fields.joined(separator: "|")
        }
        if let r = try? NSRegularExpression(pattern: "([?&]pass=)[^&\\s\"'<>]*") {
            out = r.stringByReplacingMatches(in: out, range: NSRange(out.startIndex..., in: out), withTemplate: "$1" + mask)
        }
        if !password.isEmpty {
            out = out.replacingOccurrences(of: password, with: mask)
            let encoded = APIRequest.percentEncode(password)
            if encoded != password { out = out.replacingOccurrences(of: encoded, with: mask) }
        }
        return out
    }
}
