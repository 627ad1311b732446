import TesseraCore
import Testing

@testable import TesseraClient

/// The client's idempotent retries (IDEMPOTENT_WRITE): a write whose connection dropped after the node applied
/// it is resent to the same node with the same write id, and a `WriteToken` retry carries the first attempt's
/// id or version; never a second version. The fake node gives one id one version, as `NodeCoordinator` does.
@Suite struct ClientRetryTests {
    func client(_ fake: FakeTransport) throws -> TesseraClient {
        try TesseraClient(seeds: [fake.addresses[0]], options: .init(defaultTimeout: .seconds(60)), transport: fake)
    }

    struct Attempt: Equatable {
        var address: HostAddress
        var id: UInt64
        var resend: Bool
        var version: Version?
    }

    func attempts(_ fake: FakeTransport) -> [Attempt] {
        fake.records.compactMap { record in
            guard case .idempotentWrite(_, _, _, _, _, let id, let resend, let version) = record.request else { return nil }
            return Attempt(address: record.address, id: id, resend: resend, version: version)
        }
    }

    /// Fresh tokens come from a process-wide sequence (no system call each): never 0, never repeated, also
    /// when many tasks take them at once, and not consecutive numbers.
    @Test func freshTokenIdsAreNonZeroAndUniqueAcrossConcurrentTasks() async {
        let ids = await withTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<8 { group.addTask { (0..<5_000).map { _ in WriteToken().id } } }
            var all: [UInt64] = []
            for await part in group { all += part }
            return all
        }
        #expect(ids.count == 40_000)
        #expect(Set(ids).count == ids.count)
        #expect(!ids.contains(0))
        let consecutive = zip(ids, ids.dropFirst()).filter { $1 == $0 &+ 1 }.count
        #expect(consecutive < 10, "\(consecutive) consecutive ids")
    }

    @Test func aWriteAppliedBeforeItsConnectionDroppedIsResentToTheSameNodeAndKeepsOneVersion() async throws {
        let fake = FakeTransport(nodes: 3, replicationFactor: 3)
        let client = try client(fake)
        _ = try await client.topology()
        fake.applyThenDrop.withLock { $0 = 1 }
        let version = try await client.put("a", "1")
        let sent = attempts(fake)
        #expect(sent.count == 2)
        #expect(sent.map(\.resend) == [false, true])
        #expect(Set(sent.map(\.id)).count == 1, "both attempts carry the same write id")
        #expect(sent[0].address == sent[1].address, "the resend goes to the node that got the first attempt")
        let stored = try #require(try await client.get("a"))
        #expect(stored.version == version, "one version: the resend applied nothing new")
        #expect(stored.string == "1")
        await client.shutdown()
    }

    @Test func aResendToANodeThatCannotBeReachedIsIndeterminateAndGoesNowhereElse() async throws {
        let fake = FakeTransport(nodes: 3, replicationFactor: 3)
        let client = try client(fake)
        _ = try await client.topology()
        for name in ["n1", "n2", "n3"] { fake.set(name, .dropAfterSend) }
        let error = await #expect(throws: TesseraError.self) { try await client.put("a", "1") }
        #expect(error?.isIndeterminate == true)
        #expect(error?.message.contains("may or may not have been applied") == true)
        let sent = attempts(fake)
        #expect(Set(sent.map(\.address)).count == 1, "never sent to a second node: \(sent)")
        #expect(sent.count == 4, "the first attempt and 3 resends")
        await client.shutdown()
    }

    @Test func aTokenRetryAfterATimeoutGoesToTheSameNodeWhichRefusesAnIdItNeverSaw() async throws {
        let fake = FakeTransport(nodes: 3, replicationFactor: 3)
        let client = try client(fake)
        _ = try await client.topology()
        for name in ["n1", "n2", "n3"] { fake.set(name, .hang) }
        let token = WriteToken()
        let timeout = await #expect(throws: TesseraError.self) {
            try await client.put("a", "1", timeout: .milliseconds(100), token: token)
        }
        #expect(timeout?.isIndeterminate == true)
        #expect(token.wasSent && token.version == nil)
        let coordinator = try #require(token.coordinator)
        for name in ["n1", "n2", "n3"] { fake.set(name, .up) }
        // The hung node never applied it, so it does not know the id: refused, indeterminate, nothing written.
        let refused = await #expect(throws: TesseraError.self) { try await client.put("a", "1", token: token) }
        #expect(refused?.isIndeterminate == true)
        #expect(attempts(fake).last == Attempt(address: coordinator, id: token.id, resend: true, version: nil))
        #expect(try await client.get("a") == nil)
        await client.shutdown()
    }

    @Test func aTokenWhoseVersionIsKnownIsRetriedWithThatVersion() async throws {
        let fake = FakeTransport(nodes: 3, replicationFactor: 3)
        let client = try client(fake)
        let token = WriteToken()
        let first = try await client.put("a", "1", token: token)
        #expect(token.version == first)
        let again = try await client.put("a", "1", token: token)
        #expect(again == first)
        let last = try #require(attempts(fake).last)
        #expect(last.resend && last.version == first && last.id == token.id)
        #expect(try await client.get("a")?.version == first)
        // A call without a token is a new write: a new version.
        #expect(try await client.put("a", "1") != first)
        await client.shutdown()
    }
}
