import VicinotifyCore

/// `GET /v1/schemas/<type>`: the JSON Schema (2020-12) of an event type's `data`, whose `$id` is the event's
/// `dataschema`; `GET /v1/schemas/envelope`: the CloudEvents envelope's; `config.schema` and `webhooks.schema`:
/// the configuration files'. The files are `schemas/*.json`, compiled in.
enum EventSchemas {
    static let byName: [String: [UInt8]] = [
        "config.schema": PackageResources.config_schema_json,
        "webhooks.schema": PackageResources.webhooks_schema_json,
        "envelope": PackageResources.envelope_json,
        "vicidial.agent.call_changed": PackageResources.vicidial_agent_call_changed_json,
        "vicidial.agent.heartbeat": PackageResources.vicidial_agent_heartbeat_json,
        "vicidial.agent.logged_in": PackageResources.vicidial_agent_logged_in_json,
        "vicidial.agent.logged_out": PackageResources.vicidial_agent_logged_out_json,
        "vicidial.agent.status_changed": PackageResources.vicidial_agent_status_changed_json,
        "vicidial.agent.threshold_exceeded": PackageResources.vicidial_agent_threshold_exceeded_json,
        "vicidial.agent.updated": PackageResources.vicidial_agent_updated_json,
        "vicidial.queue.changed": PackageResources.vicidial_queue_changed_json,
        "vicidial.queue.threshold_cleared": PackageResources.vicidial_queue_threshold_cleared_json,
        "vicidial.queue.threshold_exceeded": PackageResources.vicidial_queue_threshold_exceeded_json,
        "vicidial.source.down": PackageResources.vicidial_source_down_json,
        "vicidial.source.up": PackageResources.vicidial_source_up_json,
    ]
}
