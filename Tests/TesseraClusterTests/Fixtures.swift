import TesseraCore

let n1 = NodeID("n1")
let n2 = NodeID("n2")
let n3 = NodeID("n3")
let n4 = NodeID("n4")
let n5 = NodeID("n5")
let three = [n1, n2, n3]

func version(_ millis: UInt64, node: UInt32 = 1) -> Version {
    Version(timestamp: HLCTimestamp(physicalMillis: millis, logical: 0), node: node)
}

func cell(_ millis: UInt64, _ value: String = "v") -> Cell {
    Cell(version: version(millis), value: Array("\(value)\(millis)".utf8))
}

let storageError = TesseraError(.storage, "disk full")
let connectionError = TesseraError(.unavailable, "connection refused")
