import Foundation

/// What `vicinotify --version` prints. `scripts/package` writes the commit into the release build; a build
/// from a source checkout reads the checkout's commit at run time, as `0.2.0 (1a2b3c4d5e6f, source build)`.
enum BuildInfo {
    static let version = "0.2.0"
    static let commit = "development build"
    static var description: String {
        guard commit == "development build", let checkout = sourceCommit() else { return "\(version) (\(commit))" }
        return "\(version) (\(checkout), source build)"
    }

    /// The 12-character commit of the git checkout this binary was built in (it lives in its `.build`).
    static func sourceCommit(executable: URL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()) -> String? {
        var dir = executable.deletingLastPathComponent()
        for _ in 0..<6 {
            let git = dir.appendingPathComponent(".git")
            if let head = try? String(contentsOf: git.appendingPathComponent("HEAD"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) {
                guard head.hasPrefix("ref: ") else { return String(head.prefix(12)) }
                let ref = String(head.dropFirst(5))
                if let hash = try? String(contentsOf: git.appendingPathComponent(ref), encoding: .utf8) { return String(hash.prefix(12)) }
                let packed = (try? String(contentsOf: git.appendingPathComponent("packed-refs"), encoding: .utf8)) ?? ""
                return packed.split(separator: "\n").first { $0.hasSuffix(" " + ref) }.map { String($0.prefix(12)) }
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }
}
