/// Every kind of sink vicinotify has. Adding a sink: its folder under `Sources/Sinks/`, one line here.
public enum SinkRegistry {
    public static let kinds: [any SinkKind] = [
        StdoutSinkKind(),
        WebhookSinkKind(),
        PostgresSinkKind(),
        NatsSinkKind(),
    ]
}
