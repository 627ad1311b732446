/// The knobs of a node's coordinator role (`NodeCoordinator`).
public struct CoordinatorSettings: Sendable, Equatable {
    /// N: home replicas per key.
    public var replicationFactor: Int
    /// A request's timeout when the client sends 0.
    public var defaultTimeoutMillis: UInt32
    /// The largest timeout a client may ask for (larger ones are clamped).
    public var maxTimeoutMillis: UInt32
    /// How reads fan out (spares after 30 ms by default).
    public var readFanOut: ReadFanOut
    /// Client requests coordinated at once; more are refused with `overloaded`.
    public var maxInFlight: Int

    public init(
        replicationFactor: Int,
        defaultTimeoutMillis: UInt32 = 2000,
        maxTimeoutMillis: UInt32 = 60_000,
        readFanOut: ReadFanOut = .nodeDefault,
        maxInFlight: Int = 65_536
    ) {
        self.replicationFactor = replicationFactor
        self.defaultTimeoutMillis = defaultTimeoutMillis
        self.maxTimeoutMillis = maxTimeoutMillis
        self.readFanOut = readFanOut
        self.maxInFlight = maxInFlight
    }
}
