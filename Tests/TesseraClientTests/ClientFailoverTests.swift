import TesseraCore
import Testing

@testable import TesseraClient

@Suite struct ClientFailoverTests {
    func client(_ fake: FakeTransport, configure: (inout TesseraClient.Options) -> Void = { _ in }) throws
        -> TesseraClient
    {
        // Generous: the whole test run shares two cores, and a starved task must not turn into a timeout.
        var options = TesseraClient.Options(defaultTimeout: .seconds(60))
        configure(&options)
        return try TesseraClient(seeds: [fake.addresses[0]], options: options, transport: fake)
    }

    @Test func routesEveryRequestToAReplicaOfItsKey() async throws {
        let fake = FakeTransport(nodes: 5, replicationFactor: 2)
        let client = try client(fake)
        let ring = fake.topology.makeRing()
        for i in 0..<100 {
            try await client.put("key-\(i)", "v\(i)")
            #expect(try await client.get("key-\(i)")?.string == "v\(i)")
        }
        let data = fake.records.filter { $0.request.name == "put" || $0.request.name == "get" }
        #expect(data.count == 200)
        for record in data {
            let key: [UInt8]
            switch record.request {
            case .put(let k, _, _, _, _), .get(let k, _, _), .idempotentWrite(let k, _, _, _, _, _, _, _): key = k
            default: continue
            }
            let replicas = ring.preferenceList(for: key, replicationFactor: 2)
            #expect(replicas.map { fake.topology.address(of: $0)! }.contains(record.address))
        }
        // Every node coordinated something: the replicas take turns.
        #expect(Set(data.map(\.address)).count == 5)
        await client.shutdown()
    }

    @Test func failsOverToAnotherNodeWhenOneRefusesConnections() async throws {
        let fake = FakeTransport(nodes: 3, replicationFactor: 3)
        let client = try client(fake)
        _ = try await client.topology()
        fake.set("n2", .refuse)
        for i in 0..<30 { try await client.put("k\(i)", "v") }
        #expect(fake.records(named: "put").count == 30)
        #expect(fake.records(named: "put").allSatisfy { $0.address != fake.address(of: "n2") })
        await client.shutdown()
    }

    @Test func readsFailOverWhenAnOpenConnectionDrops() async throws {
        let fake = FakeTransport(nodes: 3, replicationFactor: 3)
        let client = try client(fake)
        try await client.put("a", "1")
        fake.set("n1", .dropAfterSend)
        fake.set("n2", .dropAfterSend)
        for _ in 0..<10 { #expect(try await client.get("a")?.string == "1") }
        await client.shutdown()
    }

    @Test func aTimedOutWriteIsIndeterminateAndIsNotSentAgain() async throws {
        let fake = FakeTransport(nodes: 3, replicationFactor: 3)
        let client = try client(fake)
        _ = try await client.topology()
        for name in ["n1", "n2", "n3"] { fake.set(name, .hang) }
        let error = await #expect(throws: TesseraError.self) {
            try await client.put("a", "1", timeout: .milliseconds(100))
        }
        #expect(error?.code == .timeout)
        #expect(error?.isIndeterminate == true)
        #expect(error?.message.contains("may or may not have been applied") == true)
        #expect(fake.records(named: "put").count == 1)
        await client.shutdown()
    }

    @Test func aWriteWhoseConnectionDroppedIsIndeterminateWhenRetriesAreOff() async throws {
        let fake = FakeTransport(nodes: 3, replicationFactor: 3)
        let client = try client(fake) { $0.retryWritesAfterConnectionLoss = false }
        _ = try await client.topology()
        for name in ["n1", "n2", "n3"] { fake.set(name, .dropAfterSend) }
        let error = await #expect(throws: TesseraError.self) { try await client.put("a", "1") }
        #expect(error?.isIndeterminate == true)
        #expect(fake.records(named: "put").count == 1)
        await client.shutdown()
    }

    /// Without write ids (plain PUT), a dropped write goes to the next node (with a new version there);
    /// `ClientRetryTests` covers the default, idempotent resend.
    @Test func aPlainWriteWhoseConnectionDroppedGoesToTheNextNode() async throws {
        let fake = FakeTransport(nodes: 3, replicationFactor: 3)
        let client = try client(fake) { $0.idempotentWrites = false }
        _ = try await client.topology()
        fake.set("n1", .dropAfterSend)
        fake.set("n2", .dropAfterSend)
        for i in 0..<5 { try await client.put("k\(i)", "v") }
        #expect(try await client.get("k4")?.string == "v")
        await client.shutdown()
    }

    @Test func whenNoNodeAnswersTheErrorIsUnavailableAndNamesEveryNodeTried() async throws {
        let fake = FakeTransport(nodes: 3, replicationFactor: 3)
        let client = try client(fake)
        _ = try await client.topology()
        for name in ["n1", "n2", "n3"] { fake.set(name, .refuse) }
        let error = await #expect(throws: TesseraError.self) { _ = try await client.get("a") }
        #expect(error?.code == .unavailable)
        for port in 7001...7003 { #expect(error?.message.contains("127.0.0.1:\(port)") == true) }
        #expect(error?.message.contains("connection refused") == true)
        await client.shutdown()
    }

    @Test func unknownSeedHostsGiveUnavailableWithTheReason() async throws {
        let fake = FakeTransport(nodes: 1, replicationFactor: 1)
        let unknown = HostAddress(host: "no-such-host.invalid", port: 7001)
        let client = try TesseraClient(seeds: [unknown], options: .init(defaultTimeout: .seconds(60)), transport: fake)
        let error = await #expect(throws: TesseraError.self) { try await client.put("a", "1") }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("no-such-host.invalid:7001") == true)
        #expect(error?.message.contains("could not resolve") == true)
        await client.shutdown()
    }

    @Test func serverErrorsReachTheCallerWithTheirCodeAndMessage() async throws {
        let fake = FakeTransport(nodes: 3, replicationFactor: 3)
        let client = try client(fake)
        let sent = TesseraError(.unavailable, "ALL needs 3 replicas but 2 are alive")
        fake.forcedError.withLock { $0 = sent }
        let error = await #expect(throws: TesseraError.self) { try await client.put("a", "1", consistency: .all) }
        #expect(error == sent)
        #expect(error?.isIndeterminate == false)
        await client.shutdown()
    }

    @Test func statusAsksEveryMemberAndMarksUnreachableOnesDown() async throws {
        let fake = FakeTransport(nodes: 3, replicationFactor: 3)
        let client = try client(fake)
        fake.set("n3", .refuse)
        let status = try await client.status()
        #expect(status.map(\.id.name) == ["n1", "n2", "n3"])
        #expect(status.map(\.isUp) == [true, true, false])
        #expect(status[2].error?.contains("connection refused") == true)
        await client.shutdown()
    }

    @Test func theRingIsFetchedAgainPeriodicallyAndAfterANodeRefuses() async throws {
        let fake = FakeTransport(nodes: 3, replicationFactor: 3)
        let client = try client(fake) { $0.ringRefreshInterval = .milliseconds(50) }
        try await client.put("a", "1")
        #expect(fake.records(named: "ring").count == 1)
        try await Task.sleep(for: .milliseconds(100))
        try await client.put("a", "2")  // due: starts a refresh in the background
        try await waitUntil { fake.records(named: "ring").count >= 2 }

        let slow = try self.client(fake) { $0.ringRefreshInterval = .seconds(3600) }
        try await slow.put("a", "3")
        let before = fake.records(named: "ring").count
        fake.set("n1", .refuse)
        fake.set("n2", .refuse)
        // Three calls for one key start at its three replicas in turn, so at least one meets a refusal, which
        // triggers a refresh. (Reads: a write whose open connection was reset is resent only to the same node.)
        for _ in 0..<3 { _ = try await slow.get("b") }
        try await waitUntil { fake.records(named: "ring").count > before }
        await client.shutdown()
        await slow.shutdown()
    }

    @Test func concurrentCallsShareAFewPipelinedConnectionsPerNode() async throws {
        let fake = FakeTransport(nodes: 3, replicationFactor: 3)
        let client = try client(fake) { $0.connectionsPerNode = 2 }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<200 { group.addTask { try await client.put("k\(i)", "v") } }
            try await group.waitForAll()
        }
        #expect(fake.records(named: "put").count == 200)
        for (address, count) in fake.connectionCounts { #expect(count <= 2, "\(address): \(count) connections") }
        await client.shutdown()
    }

    /// Polls `condition` for up to 10 s.
    func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within 10 s")
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
