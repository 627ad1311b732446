public import TesseraCore

/// The peer handshake (docs/wire-protocol.md, "Peer handshake"): how a connection proves it comes from a
/// cluster member before it may send REPLICA_* requests. Pure functions and a small acceptor state machine;
/// no I/O (the connecting side is `WireConnection.authenticateAsPeer`, the accepting side the node's
/// connection handler).
///
/// ```
/// connecting node                                  accepting node
/// PEER_HELLO(cluster, my id, nonce C)      ->
///                                          <-      PEER_CHALLENGE(its id, mode, nonce S, proof_S)
/// (mode 1: check proof_S)
/// PEER_AUTH(proof_C)                       ->
///                                          <-      PEER_WELCOME, or ERROR and close
/// ```
///
/// Mode 1 (a cluster secret is configured): proof_S = HMAC-SHA256(secret, "tessera-peer-v1 accept" | fields),
/// proof_C = HMAC-SHA256(secret, "tessera-peer-v1 connect" | fields), where fields is cluster, connecting id,
/// accepting id (each a u16 length and UTF-8), then C and S. The secret never crosses the wire, both nonces are
/// fresh per connection (32 bytes from the OS generator), so a recorded proof cannot be replayed.
/// Mode 0 (no secret): the connecting node only has to name a configured member other than the accepting node.
public enum PeerHandshake {
    public static let nonceSize = 32

    /// What a node needs to take part: its cluster and id, the member ids it accepts, the secret if any.
    public struct Credentials: Sendable {
        public var clusterName: String
        public var nodeID: String
        public var members: Set<String>
        public var secret: [UInt8]?

        public init(clusterName: String, nodeID: String, members: Set<String>, secret: [UInt8]?) {
            self.clusterName = clusterName
            self.nodeID = nodeID
            self.members = members
            self.secret = secret
        }

        public var mode: PeerAuthMode { secret == nil ? .memberID : .hmacSHA256 }
    }

    /// A fresh nonce from the operating system's generator (not the seeded test PRNG: nonces must not repeat
    /// across processes).
    public static func makeNonce() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var nonce: [UInt8] = []
        nonce.reserveCapacity(nonceSize)
        for _ in 0..<(nonceSize / 8) {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) { nonce.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return nonce
    }

    /// The proof one side sends; `role` is "accept" or "connect".
    public static func proof(
        secret: [UInt8],
        role: String,
        clusterName: String,
        connectingID: String,
        acceptingID: String,
        connectingNonce: [UInt8],
        acceptingNonce: [UInt8]
    ) -> [UInt8] {
        var message = Array("tessera-peer-v1 \(role)".utf8)
        for field in [clusterName, connectingID, acceptingID] {
            let bytes = Array(field.utf8)
            message.append(UInt8(truncatingIfNeeded: bytes.count >> 8))
            message.append(UInt8(truncatingIfNeeded: bytes.count))
            message += bytes
        }
        message += connectingNonce
        message += acceptingNonce
        return SHA256.hmac(key: secret, message: message)
    }

    /// The accepting side of one connection: PEER_HELLO, then PEER_AUTH.
    public struct Acceptor: Sendable {
        public let credentials: Credentials
        private var hello: (nodeID: String, nonce: [UInt8])?
        private var acceptingNonce: [UInt8] = []

        public init(credentials: Credentials) {
            self.credentials = credentials
        }

        /// Answers PEER_HELLO with PEER_CHALLENGE, or an error saying why the hello is refused.
        public mutating func onHello(
            clusterName: String,
            nodeID: String,
            nonce: [UInt8],
            acceptingNonce: [UInt8] = PeerHandshake.makeNonce()
        ) -> Result<WireMessage, TesseraError> {
            guard hello == nil else {
                return .failure(TesseraError(.invalidRequest, "PEER_HELLO sent twice on one connection"))
            }
            guard clusterName == credentials.clusterName else {
                return .failure(
                    TesseraError(
                        .invalidRequest,
                        "peer handshake refused: cluster '\(clusterName)' is not this node's cluster '\(credentials.clusterName)'"
                    )
                )
            }
            guard credentials.members.contains(nodeID), nodeID != credentials.nodeID else {
                return .failure(
                    TesseraError(.invalidRequest, "peer handshake refused: '\(nodeID)' is not another member of this cluster")
                )
            }
            guard nonce.count == PeerHandshake.nonceSize else {
                return .failure(
                    TesseraError(.invalidRequest, "peer handshake refused: the nonce must be \(PeerHandshake.nonceSize) bytes")
                )
            }
            hello = (nodeID, nonce)
            self.acceptingNonce = acceptingNonce
            let proof =
                credentials.secret.map {
                    PeerHandshake.proof(
                        secret: $0,
                        role: "accept",
                        clusterName: clusterName,
                        connectingID: nodeID,
                        acceptingID: credentials.nodeID,
                        connectingNonce: nonce,
                        acceptingNonce: acceptingNonce
                    )
                } ?? []
            return .success(
                .peerChallenge(nodeID: credentials.nodeID, mode: credentials.mode, nonce: acceptingNonce, proof: proof)
            )
        }

        /// Checks PEER_AUTH: the member id the connection is now authenticated as, or why not.
        public func onAuth(proof: [UInt8]) -> Result<String, TesseraError> {
            guard let hello else {
                return .failure(TesseraError(.invalidRequest, "PEER_AUTH before PEER_HELLO"))
            }
            guard let secret = credentials.secret else { return .success(hello.nodeID) }
            let expected = PeerHandshake.proof(
                secret: secret,
                role: "connect",
                clusterName: credentials.clusterName,
                connectingID: hello.nodeID,
                acceptingID: credentials.nodeID,
                connectingNonce: hello.nonce,
                acceptingNonce: acceptingNonce
            )
            guard SHA256.constantTimeEqual(expected, proof) else {
                return .failure(
                    TesseraError(
                        .invalidRequest,
                        "peer handshake refused: '\(hello.nodeID)' did not prove the cluster secret"
                    )
                )
            }
            return .success(hello.nodeID)
        }
    }

    /// The connecting side's answer to PEER_CHALLENGE: PEER_AUTH, or why the accepting node is not trusted.
    public static func answer(
        challenge nodeID: String,
        mode: PeerAuthMode,
        acceptingNonce: [UInt8],
        proof: [UInt8],
        connectingNonce: [UInt8],
        expectedNodeID: String,
        credentials: Credentials
    ) -> Result<WireMessage, TesseraError> {
        guard nodeID == expectedNodeID else {
            return .failure(
                TesseraError(.invalidRequest, "peer handshake: expected node '\(expectedNodeID)' but '\(nodeID)' answered")
            )
        }
        switch (mode, credentials.secret) {
        case (.memberID, nil):
            return .success(.peerAuth(proof: []))
        case (.memberID, _?):
            return .failure(
                TesseraError(
                    .invalidRequest,
                    "peer handshake: node '\(nodeID)' has no cluster secret configured but this node has one"
                )
            )
        case (.hmacSHA256, nil):
            return .failure(
                TesseraError(
                    .invalidRequest,
                    "peer handshake: node '\(nodeID)' requires a cluster secret; configure --cluster-secret-file"
                )
            )
        case (.hmacSHA256, let secret?):
            let expected = PeerHandshake.proof(
                secret: secret,
                role: "accept",
                clusterName: credentials.clusterName,
                connectingID: credentials.nodeID,
                acceptingID: nodeID,
                connectingNonce: connectingNonce,
                acceptingNonce: acceptingNonce
            )
            guard SHA256.constantTimeEqual(expected, proof) else {
                return .failure(
                    TesseraError(.invalidRequest, "peer handshake: node '\(nodeID)' did not prove the cluster secret")
                )
            }
            return .success(
                .peerAuth(
                    proof: PeerHandshake.proof(
                        secret: secret,
                        role: "connect",
                        clusterName: credentials.clusterName,
                        connectingID: credentials.nodeID,
                        acceptingID: nodeID,
                        connectingNonce: connectingNonce,
                        acceptingNonce: acceptingNonce
                    )
                )
            )
        }
    }
}
