import Testing
@testable import TesseraStorage

@Suite struct LogFormatTests {
    func image(_ payloads: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for p in payloads { LogFormat.appendRecord(p, to: &out) }
        return out
    }

    func records(_ bytes: [UInt8]) throws -> ([[UInt8]], LogReader.Result) {
        var got: [[UInt8]] = []
        let r = try LogReader.parse(bytes, path: "test.log") { got.append(Array($0)) }
        return (got, r)
    }

    let payloads: [[UInt8]] = [Array("alpha".utf8), [], Array(repeating: 7, count: 1000), Array("omega".utf8)]

    @Test func roundTripsRecordsOfAnySize() throws {
        let (got, r) = try records(image(payloads))
        #expect(got == payloads)
        #expect(r.tornTailAt == nil)
        #expect(r.records == 4)
    }

    @Test func headerLayoutIsAsDocumented() {
        let bytes = image([[1, 2, 3]])
        #expect(bytes.count == LogFormat.headerSize + 3)
        #expect(bytes[4] == 3 && bytes[5] == 0 && bytes[6] == 0 && bytes[7] == 0)
        #expect(bytes[8] == 1)
        let payloadCRC = CRC32C.mask(CRC32C.checksum([1, 2, 3]))
        #expect(bytes[9] == UInt8(payloadCRC & 0xFF))
    }

    @Test func reopenAfterTornWriteDropsOnlyTheTail() throws {
        let full = image(payloads)
        let lastStart = full.count - (LogFormat.headerSize + 5)
        // Cut at every length inside the last record: the first three records survive, the tail is torn.
        for cut in lastStart..<full.count {
            let (got, r) = try records(Array(full[..<cut]))
            #expect(got == Array(payloads.prefix(3)))
            #expect(r.tornTailAt == (cut == lastStart ? nil : lastStart))
        }
    }

    @Test func zeroFilledTailIsTornNotCorrupt() throws {
        let bytes = image(payloads) + [UInt8](repeating: 0, count: 100)
        let (got, r) = try records(bytes)
        #expect(got == payloads)
        #expect(r.tornTailAt == image(payloads).count)
    }

    @Test func corruptionInTheMiddleIsReportedWithFileAndOffset() throws {
        var bytes = image(payloads)
        let secondRecord = LogFormat.headerSize + 5
        let thirdRecord = secondRecord + LogFormat.headerSize
        bytes[thirdRecord + LogFormat.headerSize + 10] ^= 0x40  // payload of the third record
        #expect(throws: StorageError.corruption(file: "test.log", offset: thirdRecord,
                                                reason: "log record payload checksum mismatch")) {
            _ = try records(bytes)
        }
    }

    @Test func flippedLengthIsCaughtByTheHeaderChecksum() throws {
        var bytes = image(payloads)
        bytes[4] ^= 0x80  // first record's length: would otherwise look like a record running past EOF
        #expect(throws: StorageError.self) { _ = try records(bytes) }
        do {
            _ = try records(bytes)
        } catch let StorageError.corruption(file, offset, reason) {
            #expect(file == "test.log")
            #expect(offset == 0)
            #expect(reason.contains("header"))
        }
    }

    @Test func everySingleBitFlipIsDetectedOrTreatedAsTornTail() throws {
        let bytes = image(payloads)
        for i in 0..<bytes.count {
            var damaged = bytes
            damaged[i] ^= 1
            do {
                let (got, r) = try records(damaged)
                // Only damage in the last record may be taken for a torn tail; nothing wrong is returned.
                #expect(r.tornTailAt != nil)
                #expect(got == Array(payloads.prefix(got.count)))
                #expect(got.count == 3)
            } catch is StorageError {
                // detected
            }
        }
    }
}
