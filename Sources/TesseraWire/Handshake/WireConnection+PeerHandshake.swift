public import NIOCore
import TesseraCore

extension WireConnection {
    /// Runs the peer handshake (`PeerHandshake`) as the connecting node; the future fails with a
    /// `TesseraError` saying why the accepting node refused or is not trusted. Call before any REPLICA_*.
    public func authenticateAsPeer(
        credentials: PeerHandshake.Credentials,
        expectedNodeID: String,
        timeout: TimeAmount
    ) -> EventLoopFuture<Void> {
        let nonce = PeerHandshake.makeNonce()
        let hello = WireMessage.peerHello(clusterName: credentials.clusterName, nodeID: credentials.nodeID, nonce: nonce)
        return request(hello, timeout: timeout).flatMapThrowing { reply -> WireMessage in
            switch reply {
            case .peerChallenge(let nodeID, let mode, let acceptingNonce, let proof):
                return try PeerHandshake.answer(
                    challenge: nodeID,
                    mode: mode,
                    acceptingNonce: acceptingNonce,
                    proof: proof,
                    connectingNonce: nonce,
                    expectedNodeID: expectedNodeID,
                    credentials: credentials
                ).get()
            case .error(let error): throw error
            default: throw TesseraError(.protocolError, "peer handshake: unexpected \(reply.opcode) to PEER_HELLO")
            }
        }.flatMap { auth in
            self.request(auth, timeout: timeout)
        }.flatMapThrowing { reply in
            switch reply {
            case .peerWelcome: return
            case .error(let error): throw error
            default: throw TesseraError(.protocolError, "peer handshake: unexpected \(reply.opcode) to PEER_AUTH")
            }
        }
    }
}
