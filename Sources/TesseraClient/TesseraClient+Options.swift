public import TesseraCore
public import TesseraTLS

extension TesseraClient {
    /// Settings of a client. Every field has a default; change what you need.
    public struct Options: Sendable {
        /// The consistency level of a call that does not name one.
        public var defaultConsistency: ConsistencyLevel = .quorum
        /// The quorum mode of a put or delete that does not name one: strict (only home replicas count) or sloppy
        /// (stand-ins with hints count when home replicas are down). docs/consistency.md explains the default.
        public var defaultQuorum: QuorumMode = .strict
        /// The deadline of a call that does not give one, covering routing, fail-over and the answer.
        public var defaultTimeout: Duration = .seconds(2)
        /// Pipelined connections per node, used round-robin. Each carries many requests at once.
        public var connectionsPerNode: Int = 2
        /// The longest wait for a TCP connection to open before trying the next node.
        public var connectTimeout: Duration = .seconds(1)
        /// How often the client asks for the ring again (it also does after a node stops answering).
        public var ringRefreshInterval: Duration = .seconds(10)
        /// How long a node that refused a connection is tried only as a last resort.
        public var downNodeBackoff: Duration = .seconds(1)
        /// After an `overloaded` answer the client waits this long (doubling with each further one in the same
        /// call, up to 64 times) before trying the next node.
        public var overloadBackoff: Duration = .milliseconds(5)
        /// Whether a put or delete whose connection closed after it was sent is sent again.
        ///
        /// With `idempotentWrites` (the default) the resend goes to the node that got the first attempt, with
        /// the same write id, and that node gives it the same version: applied at most once. If the node
        /// cannot be reached or no longer knows the write (it restarted), the call fails with an indeterminate
        /// error instead. Without `idempotentWrites` the write goes to another node and gets a newer version
        /// (a second write of the same value). When false, such a write fails with an indeterminate error
        /// (`isIndeterminate`), as a timed-out write always does.
        public var retryWritesAfterConnectionLoss: Bool = true
        /// Whether puts and deletes carry a write id (IDEMPOTENT_WRITE), so that a resend, automatic or with a
        /// `WriteToken`, reuses the first attempt's version. Needs nodes that know IDEMPOTENT_WRITE (opcode 0x1C);
        /// false sends plain PUT and DELETE. A call given a `WriteToken` always sends one.
        public var idempotentWrites: Bool = true
        /// TLS towards the nodes (docs/security.md): `caFile` is the CA the nodes' certificates chain to (their
        /// names or IP addresses are checked too); a certificate and key only if the nodes want one. nil: plain TCP.
        public var tls: TLSSettings? = nil
        /// The token sent with CLIENT_AUTH as the first request of every connection, for nodes started with
        /// `--client-token-file`. nil: none sent.
        public var authToken: [UInt8]? = nil

        public init(
            defaultConsistency: ConsistencyLevel = .quorum,
            defaultTimeout: Duration = .seconds(2),
            connectionsPerNode: Int = 2
        ) {
            self.defaultConsistency = defaultConsistency
            self.defaultTimeout = defaultTimeout
            self.connectionsPerNode = connectionsPerNode
        }

        /// Throws `invalidRequest` for settings that cannot work (no connections, a non-positive timeout).
        func validate() throws(TesseraError) {
            guard connectionsPerNode >= 1 && connectionsPerNode <= 64 else {
                throw TesseraError(
                    .invalidRequest,
                    "connectionsPerNode is \(connectionsPerNode); use 1 to 64"
                )
            }
            try Self.checkTimeout(defaultTimeout)
            try Self.checkTimeout(connectTimeout)
        }

        /// Throws `invalidRequest` unless `timeout` is positive and at most one hour.
        static func checkTimeout(_ timeout: Duration) throws(TesseraError) {
            guard timeout > .zero && timeout <= .seconds(3600) else {
                throw TesseraError(.invalidRequest, "timeout is \(timeout); use more than 0 and at most 1 hour")
            }
        }
    }
}
