import Logging
import TesseraCore
import TesseraNode
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct NodeMetadataStoreTests {
    private func configuration(
        _ directory: String,
        node: String = "n1",
        cluster: String = "alpha",
        members: String = "n1=127.0.0.1:7001,n2=127.0.0.1:7002,n3=127.0.0.1:7003",
        vnodes: Int = 8
    ) throws -> NodeConfiguration {
        NodeConfiguration(
            nodeID: NodeID(node),
            listenHost: "127.0.0.1",
            listenPort: 7001,
            dataDirectory: directory,
            members: try MemberAddress.parseList(members),
            replicationFactor: 3,
            virtualNodes: vnodes,
            clusterName: cluster
        )
    }

    private let log = Logger(label: "test")

    @Test func freshDirectoryRecordsTheIdentityAndReopens() throws {
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        let config = try configuration(directory + "/node")
        try NodeDirectory.prepare(config, log: log)
        let stored = try #require(try NodeMetadataStore(path: NodeDirectory.metadataPath(directory + "/node")).load())
        #expect(stored == NodeDirectory.identity(for: config))
        #expect(stored.nodeID == "n1")
        #expect(stored.clusterName == "alpha")
        #expect(stored.members.map(\.id.name) == ["n1", "n2", "n3"])
        #expect(stored.tokens["n2"]?.count == 8)
        // The same configuration opens again.
        try NodeDirectory.prepare(config, log: log)
    }

    @Test func anotherNodeIDIsRefusedNamingTheOwner() throws {
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        try NodeDirectory.prepare(try configuration(directory), log: log)
        let error = #expect(throws: TesseraError.self) {
            try NodeDirectory.prepare(try configuration(directory, node: "n2"), log: log)
        }
        #expect(error?.code == .invalidRequest)
        #expect(error?.message.contains("belongs to node 'n1' of cluster 'alpha'") == true)
        #expect(error?.message.contains("'n2'") == true)
    }

    @Test func anotherClusterIsRefusedNamingTheOwner() throws {
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        try NodeDirectory.prepare(try configuration(directory), log: log)
        let error = #expect(throws: TesseraError.self) {
            try NodeDirectory.prepare(try configuration(directory, cluster: "beta"), log: log)
        }
        #expect(error?.message.contains("belongs to node 'n1' of cluster 'alpha'") == true)
        #expect(error?.message.contains("cluster 'beta'") == true)
    }

    @Test func changedMemberListOrVnodesIsRefused() throws {
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        try NodeDirectory.prepare(try configuration(directory), log: log)
        let reordered = #expect(throws: TesseraError.self) {
            try NodeDirectory.prepare(
                try configuration(directory, members: "n2=127.0.0.1:7002,n1=127.0.0.1:7001,n3=127.0.0.1:7003"),
                log: log
            )
        }
        #expect(reordered?.message.contains("membership is static") == true)
        let vnodes = #expect(throws: TesseraError.self) {
            try NodeDirectory.prepare(try configuration(directory, vnodes: 16), log: log)
        }
        #expect(vnodes?.message.contains("virtual nodes") == true)
    }

    @Test func changedAddressesAreAcceptedAndRecorded() throws {
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        try NodeDirectory.prepare(try configuration(directory), log: log)
        let moved = try configuration(directory, members: "n1=127.0.0.1:8001,n2=127.0.0.1:8002,n3=127.0.0.1:8003")
        try NodeDirectory.prepare(moved, log: log)
        let stored = try #require(try NodeMetadataStore(path: NodeDirectory.metadataPath(directory)).load())
        #expect(stored.members.map(\.port) == [8001, 8002, 8003])
    }

    @Test func dataWithoutIdentityIsRefused() throws {
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        let data = NodeDirectory.dataPath(directory)
        mkdir(data, 0o755)
        let fd = open(data + "/000001.log", O_CREAT | O_WRONLY, 0o644)
        close(fd)
        let error = #expect(throws: TesseraError.self) {
            try NodeDirectory.prepare(try configuration(directory), log: log)
        }
        #expect(error?.message.contains("node.sqlite is missing") == true)
    }

    @Test func memberListParsingRejectsBadInput() throws {
        #expect(throws: TesseraError.self) { try MemberAddress.parseList("n1=127.0.0.1") }
        #expect(throws: TesseraError.self) { try MemberAddress.parseList("n1=127.0.0.1:7001,n1=127.0.0.1:7002") }
        #expect(throws: TesseraError.self) { try MemberAddress.parseList("bad id=127.0.0.1:7001") }
        #expect(throws: TesseraError.self) { try MemberAddress.parseList("") }
        #expect(throws: TesseraError.self) { try MemberAddress.parseList("n1=h:99999") }
        #expect(
            try MemberAddress.parseList("a=[::1]:7000") == [MemberAddress(id: NodeID("a"), host: "::1", port: 7000)]
        )
    }

    @Test func configurationValidationExplainsTheProblem() throws {
        var config = try configuration("/tmp/x")
        config.replicationFactor = 4
        let error = #expect(throws: TesseraError.self) { try config.validate() }
        #expect(error?.message.contains("replication factor 4") == true)
        config.replicationFactor = 3
        config.nodeID = NodeID("n9")
        #expect(throws: TesseraError.self) { try config.validate() }
        #expect(throws: TesseraError.self) { try NodeConfiguration.parseSyncPolicy("sometimes") }
        #expect(try NodeConfiguration.parseSyncPolicy("periodic:50") == .periodic(millis: 50))
    }
}
