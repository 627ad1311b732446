public import TesseraCore

/// A value read from the cluster together with the version of the write that stored it.
public struct VersionedValue: Hashable, Sendable {
    /// The stored bytes.
    public var value: [UInt8]
    /// The version (HLC timestamp plus coordinator tag) of the write that produced `value`.
    public var version: Version

    public init(value: [UInt8], version: Version) {
        self.value = value
        self.version = version
    }

    /// The value decoded as UTF-8, or nil if it is not valid UTF-8.
    public var string: String? { String(validating: value, as: UTF8.self) }
}
