import Postgres

/// The SQL of the PostgreSQL sink's table; `schema.sql` at the repository root is `sql(table: "agent_events")`.
public enum PostgresSchema {
    public static let defaultTable = "agent_events"

    /// The script creating `table`, its indexes and the `<table>_latest` view. Applying it twice is harmless.
    public static func sql(table: String) -> String {
        let t = PostgresIdentifier.quoted(table)
        let schema = table.split(separator: ".").dropLast().first.map { "\"\($0)\"." } ?? ""
        let base = String(table.split(separator: ".").last!)
        func name(_ suffix: String) -> String { "\"\(base)_\(suffix)\"" }
        // A table in a schema of its own: the schema too, so that `schema --table routing.events | psql` works.
        let createSchema = schema.isEmpty ? "" : "CREATE SCHEMA IF NOT EXISTS \(schema.dropLast());\n"
        return """
            -- vicinotify: the PostgreSQL sink's table, one row per event. Applying this file twice is harmless.
            --   psql "host=... dbname=... user=..." -f schema.sql
            -- or set "apply_schema": true in the sink's configuration.
            \(createSchema)CREATE TABLE IF NOT EXISTS \(t) (
                id          uuid        PRIMARY KEY,            -- the CloudEvents id
                source      text        NOT NULL,               -- the configured source name (sources[].name)
                sequence    bigint      NOT NULL,               -- the event's CloudEvents sequence: increasing per source
                type        text        NOT NULL,               -- vicidial.agent.status_changed, vicidial.source.down, ...
                agent       text,                               -- the agent's user; NULL for vicidial.source.* events
                time        timestamptz NOT NULL,               -- when the change was observed
                data        jsonb       NOT NULL,               -- the event's data member
                event       json        NOT NULL,               -- the whole event, byte for byte as emitted
                inserted_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX IF NOT EXISTS \(name("agent_time")) ON \(t) (agent, time);
            CREATE INDEX IF NOT EXISTS \(name("time")) ON \(t) (time);
            CREATE INDEX IF NOT EXISTS \(name("sequence")) ON \(t) (sequence);
            CREATE INDEX IF NOT EXISTS \(name("inserted_at")) ON \(t) (inserted_at);

            -- Each agent's latest event per source: who is logged in, in which status, since when.
            CREATE OR REPLACE VIEW \(schema)\(name("latest")) AS
            SELECT DISTINCT ON (source, agent)
                   source, agent, time, type,
                   type <> 'vicidial.agent.logged_out' AS logged_in,
                   data->'current'->>'status' AS status,
                   data->'current'->>'campaign_id' AS campaign_id,
                   data->'current'->>'user_group' AS user_group,
                   sequence, id
              FROM \(t)
             WHERE agent IS NOT NULL
             ORDER BY source, agent, sequence DESC;

            """
    }
}
