import TesseraCore
import Testing

@testable import TesseraClient

@Suite struct ClientValidationTests {
    let fake = FakeTransport(nodes: 3, replicationFactor: 3)

    func expectInvalid(
        _ fragment: String,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        let error = await #expect(throws: TesseraError.self, sourceLocation: sourceLocation) { try await body() }
        #expect(error?.code == .invalidRequest, sourceLocation: sourceLocation)
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")", sourceLocation: sourceLocation)
    }

    @Test func badKeysValuesAndLevelsFailBeforeAnythingIsSent() async throws {
        let client = try TesseraClient(
            seeds: fake.addresses,
            options: .init(defaultTimeout: .seconds(60)),
            transport: fake
        )
        let bigKey = [UInt8](repeating: 1, count: Limits.maxKeySize + 1)
        let bigValue = [UInt8](repeating: 1, count: Limits.maxValueSize + 1)
        await expectInvalid("key is empty") { try await client.put([], [1]) }
        await expectInvalid("the limit is 65536 bytes") { _ = try await client.get(bigKey) }
        await expectInvalid("the limit is 16777216 bytes") { try await client.put([1], bigValue) }
        await expectInvalid("timeout") { _ = try await client.get("a", timeout: .zero) }
        #expect(fake.records.isEmpty)
        // Levels are checked against the replication factor from the ring.
        await expectInvalid("needs 4 replicas but the replication factor is 3") {
            try await client.put("a", "1", consistency: .count(4))
        }
        await expectInvalid("at least 1 replica") { _ = try await client.get("a", consistency: .count(0)) }
        #expect(fake.records.allSatisfy { $0.request.name == "ring" })
        await client.shutdown()
    }

    @Test func levelsAboveASmallerReplicationFactorAreRejected() async throws {
        let fake = FakeTransport(nodes: 3, replicationFactor: 2)
        let client = try TesseraClient(
            seeds: fake.addresses,
            options: .init(defaultTimeout: .seconds(60)),
            transport: fake
        )
        await expectInvalid("needs 3 replicas but the replication factor is 2") {
            _ = try await client.get("a", consistency: .three)
        }
        try await client.put("a", "1", consistency: .all)
        #expect(try await client.get("a", consistency: .two)?.string == "1")
        await client.shutdown()
    }

    @Test func theServerTimeoutLeavesTheClientAMargin() {
        // A tenth of the remaining time, at most 50 ms: the node answers before the client gives up.
        #expect(TesseraClient.serverTimeout(remaining: .seconds(5)) == .milliseconds(4950))
        #expect(TesseraClient.serverTimeout(remaining: .milliseconds(500)) == .milliseconds(450))
        #expect(TesseraClient.serverTimeout(remaining: .milliseconds(499)) == .microseconds(449_100))
        #expect(TesseraClient.serverTimeout(remaining: .milliseconds(100)) == .milliseconds(90))
        #expect(TesseraClient.serverTimeout(remaining: .zero) == .zero)
        #expect(TesseraClient.serverTimeout(remaining: .milliseconds(-3)) == .zero)
    }

    @Test func badSeedsAndOptionsAreRejected() {
        #expect(throws: TesseraError.self) { try TesseraClient(seeds: [], options: .init(), transport: fake) }
        var options = TesseraClient.Options()
        options.connectionsPerNode = 0
        #expect(throws: TesseraError.self) {
            try TesseraClient(seeds: fake.addresses, options: options, transport: fake)
        }
    }

    @Test func callsAfterShutdownFailWithoutConnecting() async throws {
        let client = try TesseraClient(
            seeds: fake.addresses,
            options: .init(defaultTimeout: .seconds(60)),
            transport: fake
        )
        try await client.put("a", "1")
        await client.shutdown()
        let connections = fake.connectionCounts
        let error = await #expect(throws: TesseraError.self) { _ = try await client.get("a") }
        #expect(error?.code == .unavailable && error?.message.contains("shut down") == true)
        #expect(fake.connectionCounts == connections)
    }
}
