import Foundation
import TesseraClient
import TesseraCore
import Testing

@testable import TesseraBench

@Suite struct YCSBWorkloadTests {
    @Test func coreWorkloadMixesMatchYCSB() {
        #expect(YCSBWorkload.a.proportions == [.read: 0.5, .update: 0.5])
        #expect(YCSBWorkload.b.proportions == [.read: 0.95, .update: 0.05])
        #expect(YCSBWorkload.c.proportions == [.read: 1])
        #expect(YCSBWorkload.d.proportions == [.read: 0.95, .insert: 0.05])
        #expect(YCSBWorkload.d.defaultDistribution == .latest)
        #expect(YCSBWorkload.f.proportions == [.read: 0.5, .readModifyWrite: 0.5])
        for workload in YCSBWorkload.all {
            #expect(abs(workload.proportions.values.reduce(0, +) - 1) < 1e-9, "\(workload.name)")
        }
    }

    @Test func operationDrawsFollowTheMix() {
        var random = SplitMix64(seed: 5)
        var counts: [YCSBOperation: Int] = [:]
        let draws = 100_000
        for _ in 0..<draws { counts[YCSBWorkload.d.operation(for: random.unitInterval()), default: 0] += 1 }
        // 5% inserts: σ = 0.07 pp over 100k draws.
        #expect(abs(Double(counts[.insert] ?? 0) / Double(draws) - 0.05) < 0.004)
        #expect((counts[.insert] ?? 0) + (counts[.read] ?? 0) == draws)
        #expect(YCSBWorkload.a.operation(for: 0.49) == .read)
        #expect(YCSBWorkload.a.operation(for: 0.51) == .update)
        #expect(YCSBWorkload.a.operation(for: 0.999_999) == .update)
    }

    @Test func badNamesAndWorkloadEAreRefusedWithTheReason() {
        #expect((try? YCSBWorkload(parsing: "workloada"))?.name == "A")
        #expect((try? YCSBWorkload(parsing: "f"))?.name == "F")
        let unknown = #expect(throws: TesseraError.self) { try YCSBWorkload(parsing: "G") }
        #expect(unknown?.code == .invalidRequest)
        #expect(unknown?.message.contains("unknown workload 'G'") == true)
        let scan = #expect(throws: TesseraError.self) { try YCSBWorkload(parsing: "E") }
        #expect(scan?.message.contains("range scans") == true)
        let distribution = #expect(throws: TesseraError.self) { try KeyDistribution(parsing: "pareto") }
        #expect(distribution?.message.contains("uniform, zipfian, hotspot, latest") == true)
        #expect((try? KeyDistribution(parsing: "Zipfian")) == .zipfian)
    }

    @Test func configurationRefusesZeroAndNegativeCounts() {
        let bad: [(YCSBBenchmark.Configuration, String)] = [
            (.init(recordCount: 0), "--records"),
            (.init(operationCount: 0), "--operations"),
            (.init(operationCount: -5), "--operations"),
            (.init(durationSeconds: -1), "--duration"),
            (.init(operationCount: nil, durationSeconds: nil), "--operations or --duration"),
            (.init(concurrency: 0), "--concurrency"),
            (.init(readConsistency: "MOST"), "MOST"),
            (.init(valueSize: 0), "--value-size"),
            (.init(hotSetFraction: 0), "--hot-set"),
        ]
        for (configuration, mention) in bad {
            let error = #expect(throws: TesseraError.self) { try configuration.validate() }
            #expect(error?.code == .invalidRequest)
            #expect(error?.message.contains(mention) == true, "\(String(describing: error)) should mention \(mention)")
        }
        #expect(throws: Never.self) { try YCSBBenchmark.Configuration().validate() }
    }

    @Test func insertSequenceMakesOnlyTheCompletedPrefixAvailable() {
        let sequence = InsertSequence(start: 10)
        let a = sequence.take()
        let b = sequence.take()
        let c = sequence.take()
        #expect([a, b, c] == [Int](10...12))
        sequence.complete(b)
        #expect(sequence.available == 10, "11 done but 10 is not: the prefix stays")
        sequence.complete(a)
        #expect(sequence.available == 12)
        sequence.complete(c)
        #expect(sequence.available == 13)
    }

    @Test func loadBalanceIsMaxOverMeanAndCoefficientOfVariation() {
        func node(_ name: String, _ reads: UInt64, _ writes: UInt64) -> NodeLoad {
            NodeLoad(node: name, coordinated: 0, replicaReads: reads, replicaWrites: writes, measured: true)
        }
        let balance = LoadBalance([node("n1", 100, 100), node("n2", 50, 50), node("n3", 150, 0), node("n4", 0, 0)])
        // served 200, 100, 150, 0: mean 112.5, max 200; σ = sqrt(((87.5)² + 12.5² + 37.5² + 112.5²)/4).
        #expect(abs(balance.maxOverMean - 200 / 112.5) < 1e-9)
        let sigma = ((87.5 * 87.5 + 12.5 * 12.5 + 37.5 * 37.5 + 112.5 * 112.5) / 4).squareRoot()
        #expect(abs(balance.coefficientOfVariation - sigma / 112.5) < 1e-9)
        #expect(balance.busiestNode == "n1")
        let unmeasured = NodeLoad(node: "n5", coordinated: 0, replicaReads: 0, replicaWrites: 0, measured: false)
        #expect(LoadBalance([node("n1", 10, 0), unmeasured]).maxOverMean == 1, "unmeasured nodes are left out")
    }

    @Test func nodeLoadIsTheDifferenceOfTheNodesCounters() {
        func status(_ name: String, up: Bool = true, gets: UInt64, reads: UInt64, writes: UInt64) -> NodeStatus {
            var s = NodeStatus(id: NodeID(name), address: HostAddress(host: "127.0.0.1", port: 1), isUp: up)
            s.gets = gets
            s.replicaReads = reads
            s.replicaWrites = writes
            return s
        }
        let before = [status("n1", gets: 5, reads: 10, writes: 20), status("n2", gets: 0, reads: 0, writes: 0)]
        let after = [status("n1", gets: 8, reads: 30, writes: 25), status("n2", up: false, gets: 0, reads: 0, writes: 0)]
        let loads = NodeLoad.deltas(before: before, after: after)
        #expect(loads[0] == NodeLoad(node: "n1", coordinated: 3, replicaReads: 20, replicaWrites: 5, measured: true))
        #expect(loads[1].measured == false)
    }

    @Test func reportTextAndSVGShowEveryRunAndNode() throws {
        func run(_ d: KeyDistribution, _ rate: Double, p99: UInt64, loads: [UInt64]) -> YCSBRunResult {
            var histogram = LatencySummary.makeHistogram()
            for i in 1...1000 { _ = histogram.record(UInt64(i) * p99 / 990) }
            let latency = LatencySummary(histogram)
            let nodes = loads.enumerated().map {
                NodeLoad(node: "n\($0.offset + 1)", coordinated: 1, replicaReads: $0.element, replicaWrites: 0, measured: true)
            }
            return YCSBRunResult(
                workload: "A", distribution: d, seconds: 1, succeeded: 1000, errors: 0, opsPerSecond: rate,
                latency: latency,
                operations: [YCSBOperationResult(operation: .read, succeeded: 1000, errors: 0, errorsByCode: [:], notFound: 0, latency: latency)],
                nodes: nodes, balance: LoadBalance(nodes), predictedBalance: nil, errorSamples: [])
        }
        let report = YCSBReport(
            configuration: .init(), hosts: ["127.0.0.1:1"], nodes: 3, replicationFactor: 3, notes: ["load 1.0"],
            load: nil,
            runs: [run(.uniform, 1000, p99: 2000, loads: [100, 100, 100]), run(.zipfian, 900, p99: 3000, loads: [200, 100, 0])])
        let text = report.text
        #expect(text.contains("run A/uniform: 1000 ops/s"))
        #expect(text.contains("run A/zipfian: 900 ops/s"))
        #expect(text.contains("max/mean 2.000 (busiest n1)"))
        // Comparison row: zipfian at 0.9x uniform's throughput.
        let zipfianRow = try #require(text.split(separator: "\n").last(where: { $0.contains("zipfian") && $0.contains("0.90") }))
        #expect(zipfianRow.contains("2.000"))
        let svg = report.svg
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.hasSuffix("</svg>\n"))
        #expect(svg.contains("uniform: 1000 ops/s"))
        #expect(svg.contains(">n3<"))
        // 2 throughput bars + 8 latency bars + 6 node bars + 2 legend squares + background.
        #expect(svg.components(separatedBy: "<rect").count - 1 == 2 + 8 + 6 + 2 + 1)
        let json = try JSONEncoder().encode(report)
        let decoded = try JSONDecoder().decode(YCSBReport.self, from: json)
        #expect(decoded.runs.map(\.distribution) == [.uniform, .zipfian])
    }
}
