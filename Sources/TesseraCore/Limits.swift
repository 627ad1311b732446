/// Size limits that every layer enforces (storage, wire, client). DO NOT CHANGE without a format note.
public enum Limits {
    /// The largest key in bytes: 64 KiB.
    public static let maxKeySize = 64 * 1024
    /// The largest value in bytes: 16 MiB.
    public static let maxValueSize = 16 * 1024 * 1024

    /// Throws `TesseraError.invalidRequest` naming the limit if the key is empty or too large.
    public static func checkKey(_ count: Int) throws(TesseraError) {
        if count == 0 { throw TesseraError(.invalidRequest, "key is empty") }
        if count > maxKeySize {
            throw TesseraError(.invalidRequest, "key is \(count) bytes; the limit is \(maxKeySize) bytes (64 KiB)")
        }
    }

    /// Throws `TesseraError.invalidRequest` naming the limit if the value is too large.
    public static func checkValue(_ count: Int) throws(TesseraError) {
        if count > maxValueSize {
            throw TesseraError(.invalidRequest, "value is \(count) bytes; the limit is \(maxValueSize) bytes (16 MiB)")
        }
    }
}
