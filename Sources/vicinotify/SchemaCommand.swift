import ArgumentParser
import Postgres
import Sinks

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the SQL that creates the PostgreSQL sink's table, its indexes and its latest-state view.",
        discussion: """
            The same script as schema.sql, for any table name; applying it twice is harmless.

            Example:
              vicinotify schema --table routing.agent_events | psql "dbname=calls"
            """)

    @Option(help: "The table (NAME or SCHEMA.NAME).")
    var table = PostgresSchema.defaultTable

    func validate() throws {
        if let problem = PostgresIdentifier.problem(with: table, qualified: true) { throw ValidationError("--table: \(problem)") }
    }

    func run() { print(PostgresSchema.sql(table: table), terminator: "") }
}
