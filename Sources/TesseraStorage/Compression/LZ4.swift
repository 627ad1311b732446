internal import CLZ4

/// LZ4 block compression (liblz4 through the CLZ4 module map). The only file that imports CLZ4.
///
/// The LZ4 block format does not record the uncompressed size: callers store it next to the block
/// (SSTable blocks prefix it as a varint).
enum LZ4 {
    /// The largest input LZ4 accepts (about 2 GB).
    static let maxInputSize = Int(LZ4_MAX_INPUT_SIZE)

    /// The largest compressed size of `inputSize` bytes (for sizing an output buffer).
    static func compressBound(_ inputSize: Int) -> Int {
        Int(LZ4_compressBound(Int32(clamping: inputSize)))
    }

    /// Compresses `input` into `output` (which must hold `compressBound(input.count)` bytes); returns the
    /// compressed length, or 0 if LZ4 failed (input too large or output too small).
    static func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        guard input.count <= maxInputSize, let src = input.baseAddress, let dst = output.baseAddress else { return 0 }
        let n = LZ4_compress_default(
            src.assumingMemoryBound(to: CChar.self), dst.assumingMemoryBound(to: CChar.self),
            Int32(input.count), Int32(clamping: output.count))
        return Int(max(0, n))
    }

    /// Decompresses `input` into `output`, which must be exactly the original size. Returns false if the
    /// input is malformed or does not decompress to exactly `output.count` bytes. Never writes past `output`.
    static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        if output.count == 0 { return input.count == 1 && input[0] == 0 }
        guard let src = input.baseAddress, let dst = output.baseAddress,
            input.count <= Int(Int32.max), output.count <= Int(Int32.max)
        else { return false }
        let n = LZ4_decompress_safe(
            src.assumingMemoryBound(to: CChar.self), dst.assumingMemoryBound(to: CChar.self),
            Int32(input.count), Int32(output.count))
        return Int(n) == output.count
    }

    /// Compresses an array (convenience for tests and cold paths).
    static func compress(_ input: [UInt8]) -> [UInt8]? {
        let bound = compressBound(input.count)
        var written = 0
        let out = [UInt8](unsafeUninitializedCapacity: bound) { buf, initialized in
            written = input.withUnsafeBytes { compress($0, into: UnsafeMutableRawBufferPointer(buf)) }
            initialized = written
        }
        return written > 0 ? out : nil
    }

    /// Decompresses an array whose original size is known; nil if it is malformed.
    static func decompress(_ input: [UInt8], originalSize: Int) -> [UInt8]? {
        var ok = false
        let out = [UInt8](unsafeUninitializedCapacity: originalSize) { buf, initialized in
            ok = input.withUnsafeBytes { decompress($0, into: UnsafeMutableRawBufferPointer(buf)) }
            initialized = ok ? originalSize : 0
        }
        return ok ? out : nil
    }
}
