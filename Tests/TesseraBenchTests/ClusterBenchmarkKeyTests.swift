import Testing

@testable import TesseraBench

/// The cluster benchmark's keys are the workload ../shared/tools/etcd-bench shares: `bench-` and 8 digits.
@Suite struct ClusterBenchmarkKeyTests {
    @Test func keysAreBenchAndEightZeroPaddedDigits() {
        #expect(ClusterBenchmark.key(0) == Array("bench-00000000".utf8))
        #expect(ClusterBenchmark.key(42) == Array("bench-00000042".utf8))
        #expect(ClusterBenchmark.key(99_999_999) == Array("bench-99999999".utf8))
        // A larger index keeps its low 8 digits, as the string format did.
        #expect(ClusterBenchmark.key(1_234_567_890) == Array("bench-34567890".utf8))
        for i in [1, 7, 10, 12_345, 100_000, 19_999_999] {
            let digits = String(i)
            let expected = "bench-" + String(repeating: "0", count: 8 - digits.count) + digits
            #expect(ClusterBenchmark.key(i) == Array(expected.utf8), "\(i)")
        }
    }
}
