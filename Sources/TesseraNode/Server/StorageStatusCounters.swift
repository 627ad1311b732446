import TesseraStorage
import TesseraWire

/// The storage health counters a node adds to its STATUS reply (docs/operations.md, "Status counters").
enum StorageStatusCounters {
    static func counters(_ storage: StorageStats) -> [WireCounter] {
        [
            WireCounter(name: "storageNoSpaceErrors", value: UInt64(max(0, storage.noSpaceErrors))),
            WireCounter(name: "storageIOErrors", value: UInt64(max(0, storage.ioErrors))),
            WireCounter(name: "storageCorruptionErrors", value: UInt64(max(0, storage.corruptionErrors))),
            WireCounter(name: "storageQuarantinedTables", value: UInt64(storage.quarantinedTables.count)),
            WireCounter(name: "storageWritesPausedNoSpace", value: storage.writesPausedForNoSpace ? 1 : 0),
            WireCounter(name: "storageCompactionsPausedNoSpace", value: storage.compactionsPausedForNoSpace ? 1 : 0),
            WireCounter(name: "storageResumes", value: UInt64(max(0, storage.resumes))),
            WireCounter(name: "storageWALBytesDropped", value: UInt64(max(0, storage.walBytesDropped))),
        ]
    }
}
