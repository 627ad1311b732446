import TesseraCore

extension Hint {
    /// Bytes the hint costs against the replay throttle and the per-target cap: key, value and fixed fields.
    public var byteSize: Int { key.count + (cell.value?.count ?? 0) + Version.encodedSize + 16 }
}
