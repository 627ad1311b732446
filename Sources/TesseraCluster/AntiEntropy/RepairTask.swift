public import TesseraCore

/// One token range to repair and the replicas that hold it (the local node among them).
public struct RepairTask: Hashable, Sendable {
    public var range: TokenRange
    public var replicas: [NodeID]

    public init(range: TokenRange, replicas: [NodeID]) {
        self.range = range
        self.replicas = replicas
    }
}
