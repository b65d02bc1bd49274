import Foundation

/// Reading a configuration file's JSON as strictly as `jq` does: a trailing comma is an error, and every
/// syntax error says its line and column, not a character offset.
public enum JSONDocument {
    /// A syntax error, with where it is (1-based).
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        public var line: Int
        public var column: Int
        public var message: String
        public var description: String { "line \(line), column \(column): \(message)" }
    }

    /// The parsed document (objects, arrays, strings, numbers, booleans, `NSNull`).
    public static func parse(_ data: Data) throws(SyntaxError) -> Any {
        let bytes = [UInt8](data)
        if let comma = trailingComma(in: bytes) {
            let (line, column) = position(of: comma, in: bytes)
            throw SyntaxError(line: line, column: column, message: "a comma before a closing bracket (JSON allows none)")
        }
        do {
            return try JSONSerialization.jsonObject(with: data)
        } catch {
            let said = ((error as NSError).userInfo["NSDebugDescription"] as? String) ?? "\(error)"
            // Foundation says "around line L, column C" or "around character N"; either becomes a line and column.
            let numbers = said.split { !$0.isNumber }.compactMap { Int($0) }
            let (line, column): (Int, Int)
            if said.contains("line"), numbers.count >= 2 {
                (line, column) = (numbers[numbers.count - 2], numbers[numbers.count - 1])
            } else {
                (line, column) = position(of: min(numbers.last ?? 0, max(0, bytes.count - 1)), in: bytes)
            }
            let reason = said.components(separatedBy: " around").first ?? said
            throw SyntaxError(line: line, column: column, message: reason.isEmpty ? "not valid JSON" : reason)
        }
    }

    /// The offset of a comma that only whitespace separates from a `]` or `}`, outside strings.
    static func trailingComma(in b: [UInt8]) -> Int? {
        var inString = false, escaped = false
        var lastComma: Int?
        for (i, c) in b.enumerated() {
            if inString {
                if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch c {
            case UInt8(ascii: "\""): inString = true; lastComma = nil
            case UInt8(ascii: ","): lastComma = i
            case UInt8(ascii: "]"), UInt8(ascii: "}"): if let comma = lastComma { return comma }
            case 0x20, 0x09, 0x0A, 0x0D: break
            default: lastComma = nil
            }
        }
        return nil
    }

    /// The 1-based line and column of byte `offset` (columns count characters, not bytes).
    static func position(of offset: Int, in b: [UInt8]) -> (line: Int, column: Int) {
        let before = b.prefix(offset)
        let line = before.filter { $0 == 0x0A }.count + 1
        let start = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        return (line, String(decoding: b[start..<offset], as: UTF8.self).count + 1)
    }
}
