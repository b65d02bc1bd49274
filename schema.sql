-- vicinotify: the PostgreSQL sink's table, one row per event. Applying this file twice is harmless.
--   psql "host=... dbname=... user=..." -f schema.sql
-- or set "apply_schema": true in the sink's configuration.
CREATE TABLE IF NOT EXISTS "agent_events" (
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
CREATE INDEX IF NOT EXISTS "agent_events_agent_time" ON "agent_events" (agent, time);
CREATE INDEX IF NOT EXISTS "agent_events_time" ON "agent_events" (time);
CREATE INDEX IF NOT EXISTS "agent_events_sequence" ON "agent_events" (sequence);
CREATE INDEX IF NOT EXISTS "agent_events_inserted_at" ON "agent_events" (inserted_at);

-- Each agent's latest event per source: who is logged in, in which status, since when.
CREATE OR REPLACE VIEW "agent_events_latest" AS
SELECT DISTINCT ON (source, agent)
       source, agent, time, type,
       type <> 'vicidial.agent.logged_out' AS logged_in,
       data->'current'->>'status' AS status,
       data->'current'->>'campaign_id' AS campaign_id,
       data->'current'->>'user_group' AS user_group,
       sequence, id
  FROM "agent_events"
 WHERE agent IS NOT NULL
 ORDER BY source, agent, sequence DESC;
