/// Table and channel names, which SQL cannot take as parameters: only names made of lowercase letters,
/// digits and `_` (not starting with a digit, at most 63 bytes) are accepted, so quoting them is exact and
/// they mean the same with or without quotes in `psql`. A table may be schema-qualified (`routing.events`).
public enum PostgresIdentifier {
    /// Why `name` is not acceptable, or `nil` when it is.
    public static func problem(with name: String, qualified: Bool) -> String? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 1 || (qualified && parts.count == 2) else {
            return qualified ? "expected NAME or SCHEMA.NAME" : "expected a name without '.'"
        }
        for part in parts {
            guard let first = part.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first), part.utf8.count <= 63,
                  part.utf8.allSatisfy({ isWordByte($0) }) else {
                return "expected lowercase letters, digits and '_' (not starting with a digit, at most 63), got '\(name)'"
            }
        }
        return nil
    }

    /// `"name"` or `"schema"."name"`. Precondition: `problem(with:qualified:)` found nothing.
    public static func quoted(_ name: String) -> String {
        precondition(problem(with: name, qualified: true) == nil, "not a valid identifier: \(name)")
        return name.split(separator: ".").map { "\"\($0)\"" }.joined(separator: ".")
    }

    private static func isWordByte(_ b: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || b == UInt8(ascii: "_")
    }
}
