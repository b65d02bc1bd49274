/// What `vicinotify --version` prints. `scripts/package` writes the commit into the release build.
enum BuildInfo {
    static let version = "0.2.0"
    static let commit = "development build"
    static var description: String { "\(version) (\(commit))" }
}
