import TesseraCore
import TesseraWire
import Testing

/// SHA-256 / HMAC-SHA256 against published vectors, and the handshake state machine.
@Suite struct PeerHandshakeTests {
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    @Test func sha256MatchesFIPSVectors() {
        #expect(Self.hex(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            Self.hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            Self.hex(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func hmacMatchesRFC4231() {
        // Test case 1, 2 and 6 (a key longer than the block).
        #expect(
            Self.hex(SHA256.hmac(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8)))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(
            Self.hex(SHA256.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(
            Self.hex(
                SHA256.hmac(
                    key: [UInt8](repeating: 0xaa, count: 131),
                    message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    func credentials(_ id: String, secret: String?) -> PeerHandshake.Credentials {
        PeerHandshake.Credentials(
            clusterName: "c", nodeID: id, members: ["n1", "n2", "n3"], secret: secret.map { Array($0.utf8) })
    }

    /// Runs the exchange; returns the acceptor's verdict or the connecting side's refusal.
    func handshake(connect: PeerHandshake.Credentials, accept: PeerHandshake.Credentials) -> Result<String, TesseraError> {
        var acceptor = PeerHandshake.Acceptor(credentials: accept)
        let nonce = PeerHandshake.makeNonce()
        let challenge: WireMessage
        switch acceptor.onHello(clusterName: connect.clusterName, nodeID: connect.nodeID, nonce: nonce) {
        case .success(let message): challenge = message
        case .failure(let error): return .failure(error)
        }
        guard case .peerChallenge(let id, let mode, let acceptingNonce, let proof) = challenge else {
            return .failure(TesseraError(.internalError, "no challenge"))
        }
        let answer = PeerHandshake.answer(
            challenge: id, mode: mode, acceptingNonce: acceptingNonce, proof: proof, connectingNonce: nonce,
            expectedNodeID: accept.nodeID, credentials: connect)
        switch answer {
        case .success(.peerAuth(let clientProof)): return acceptor.onAuth(proof: clientProof)
        case .success(let other): return .failure(TesseraError(.internalError, "unexpected \(other)"))
        case .failure(let error): return .failure(error)
        }
    }

    @Test func sameSecretSucceedsOtherwiseRefused() throws {
        #expect(try handshake(connect: credentials("n2", secret: "s3cret-s3cret-s3cret"), accept: credentials("n1", secret: "s3cret-s3cret-s3cret")).get() == "n2")
        #expect(throws: TesseraError.self) {
            try handshake(connect: credentials("n2", secret: "another-secret-value"), accept: credentials("n1", secret: "s3cret-s3cret-s3cret")).get()
        }
        #expect(throws: TesseraError.self) {
            try handshake(connect: credentials("n2", secret: nil), accept: credentials("n1", secret: "s3cret-s3cret-s3cret")).get()
        }
        #expect(throws: TesseraError.self) {
            try handshake(connect: credentials("n2", secret: "s3cret-s3cret-s3cret"), accept: credentials("n1", secret: nil)).get()
        }
    }

    @Test func withoutASecretOnlyAnotherMemberIsAccepted() throws {
        #expect(try handshake(connect: credentials("n3", secret: nil), accept: credentials("n1", secret: nil)).get() == "n3")
        #expect(throws: TesseraError.self) { try handshake(connect: credentials("n9", secret: nil), accept: credentials("n1", secret: nil)).get() }
        #expect(throws: TesseraError.self) { try handshake(connect: credentials("n1", secret: nil), accept: credentials("n1", secret: nil)).get() }
        var other = credentials("n2", secret: nil)
        other.clusterName = "elsewhere"
        #expect(throws: TesseraError.self) { try handshake(connect: other, accept: credentials("n1", secret: nil)).get() }
    }

    @Test func aReplayedProofFailsAgainstAFreshNonce() {
        let secret = "s3cret-s3cret-s3cret"
        var first = PeerHandshake.Acceptor(credentials: credentials("n1", secret: secret))
        let nonce = PeerHandshake.makeNonce()
        guard case .success(.peerChallenge(_, _, let acceptingNonce, _)) = first.onHello(clusterName: "c", nodeID: "n2", nonce: nonce) else {
            Issue.record("no challenge")
            return
        }
        let proof = PeerHandshake.proof(
            secret: Array(secret.utf8), role: "connect", clusterName: "c", connectingID: "n2", acceptingID: "n1",
            connectingNonce: nonce, acceptingNonce: acceptingNonce)
        #expect((try? first.onAuth(proof: proof).get()) == "n2")
        // A second connection: same client nonce, the recorded proof, a new accepting nonce.
        var second = PeerHandshake.Acceptor(credentials: credentials("n1", secret: secret))
        _ = second.onHello(clusterName: "c", nodeID: "n2", nonce: nonce)
        #expect(throws: TesseraError.self) { try second.onAuth(proof: proof).get() }
        #expect(WireOpcode.replicaWrite.isPeerOnlyRequest && WireOpcode.replicaRead.isPeerOnlyRequest)
        #expect(WireOpcode.replicaReadVersion.isPeerOnlyRequest && !WireOpcode.replicaVersionResult.isPeerOnlyRequest)
        #expect(!WireOpcode.peerHello.isPeerOnlyRequest && !WireOpcode.get.isPeerOnlyRequest)
    }
}
