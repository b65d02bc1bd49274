import Foundation
import MariaDB

/// The throwaway MariaDB server that `scripts/with-mariadb` starts around the test run, and databases of
/// VICIdial's tables (`share/vicidial-tables.sql`) for one test each.
public enum TestMariaDB {
    private static let environment = ProcessInfo.processInfo.environment

    public static var port: Int {
        guard let port = environment["VICINOTIFY_TEST_MARIADB_PORT"].flatMap(Int.init) else {
            fatalError("VICINOTIFY_TEST_MARIADB_PORT is not set: run the tests with `bash scripts/test` (or under `bash scripts/with-mariadb`)")
        }
        return port
    }

    /// The password of `vicinotify_rw` (who may write the tests' databases) and of the read-only `vicinotify_ro`.
    public static var password: String { environment["VICINOTIFY_TEST_MARIADB_PASSWORD"] ?? "" }

    /// The repository's `share/` folder.
    public static var share: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share")
    }

    public static func options(database: String, user: String = "vicinotify_rw", password: String? = nil) -> MariaDBConnectionOptions {
        MariaDBConnectionOptions(host: "127.0.0.1", port: port, database: database, user: user, password: password ?? self.password,
                                 timeout: 5)
    }

    /// A new database of VICIdial's tables, for one test; `drop()` removes it.
    public static func database() async throws -> VICIdialTestDatabase {
        let name = "vn_" + String(UInt64.random(in: 0 ... .max), radix: 36)
        let admin = MariaDBClient(options(database: "asterisk"))
        _ = try await admin.query("CREATE DATABASE \(name) CHARACTER SET utf8mb4")
        let db = VICIdialTestDatabase(name: name, client: MariaDBClient(options(database: name)))
        let schema = try String(contentsOf: share.appendingPathComponent("vicidial-tables.sql"), encoding: .utf8)
        try await db.run(schema)
        return db
    }
}

/// One test's database of VICIdial's tables.
public struct VICIdialTestDatabase: Sendable {
    public let name: String
    public let client: MariaDBClient

    /// Runs each `;`-terminated statement of `sql` (comment lines skipped).
    public func run(_ sql: String) async throws { try await client.run(script: sql) }

    public func drop() async {
        _ = try? await client.query("DROP DATABASE \(name)")
    }
}
