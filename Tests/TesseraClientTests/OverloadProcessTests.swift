import TesseraBench
import TesseraCore
import TesseraLocalCluster
import Testing

/// The short run of `tessera bench overload` (issue 11; docs/benchmarks.md, "Admission control under
/// overload"): real `tessera server` processes with a client in-flight bound of 16. Past the bound the node
/// refuses with `overloaded` at once; when the load drops back, it admits again. Speed is not asserted here
/// (the command prints it), only who was refused when.
@Suite(.serialized) struct OverloadProcessTests {
    @Test func anOverloadedNodeRefusesPastItsBoundAndAdmitsAgainWhenLoadDrops() async throws {
        try await LocalCluster.with(nodes: 3, replicationFactor: 3, arguments: ["--max-in-flight", "16"]) { launcher in
            let n1 = launcher.nodes[0]
            var configuration = OverloadBenchmark.Configuration()
            configuration.probeInFlight = 16
            configuration.probeSeconds = 1
            configuration.phaseSeconds = 2
            configuration.normalFraction = 0.25
            configuration.overloadFactor = 4
            let report = try await OverloadBenchmark(configuration: configuration, host: n1.address.host, port: n1.address.port).run()
            print(report.text)
            let normal = try #require(report.phase("normal"))
            let overload = try #require(report.phase("overload"))
            let recovery = try #require(report.phase("recovery"))
            #expect(report.capacityPerSecond > 0)
            // Overload: several times the capacity offered, a large share refused at once, the rest admitted.
            #expect(overload.sent > 2 * normal.sent)
            #expect(overload.rejected > overload.sent / 10, "only \(overload.rejected) of \(overload.sent) refused")
            #expect(overload.admitted > 0)
            // Recovery: few refused again (at most a twentieth, or twice what the normal phase saw: on a starved
            // machine the generator's late wake-ups send bursts past the bound even at a low rate), most
            // admitted, and nothing left waiting.
            #expect(
                recovery.rejected <= max(recovery.sent / 20, 2 * normal.rejected),
                "\(recovery.rejected) of \(recovery.sent) refused after the overload (normal phase: \(normal.rejected))")
            #expect(recovery.admitted >= recovery.sent / 2)
            #expect(recovery.failed <= recovery.sent / 20)
        }
    }
}
