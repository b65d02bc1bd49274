/// What a source's poll asks: VICIdial's API (`VICIdialClient`) or its database (`DatabaseFloorReader`).
public protocol FloorReader: Sendable {
    /// One look at the floor; a failure never turns into logouts.
    func poll(known: KnownFloor) async -> Result<FloorSnapshot, PollFailure>
    /// Where it reads, without secrets, for logs and `source.down` events.
    var redactedURL: String { get }
}

extension VICIdialClient: FloorReader {}
