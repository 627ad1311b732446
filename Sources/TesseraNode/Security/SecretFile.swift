#if canImport(Glibc)
import Glibc
#endif
public import TesseraCore

/// Reads a secret (cluster secret, client token) from a file: at most 1 MiB, one trailing newline (LF or CRLF)
/// dropped, so `echo SECRET > FILE` works. Errors name `what` and the file.
public enum SecretFile {
    public static func read(_ path: String, what: String) throws(TesseraError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw TesseraError(.invalidRequest, "cannot read the \(what) file \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n <= 0 { break }
            bytes += chunk[0..<n]
            if bytes.count > 1 << 20 { throw TesseraError(.invalidRequest, "the \(what) file \(path) is over 1 MiB") }
        }
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.last == 0x0D { bytes.removeLast() }
        return bytes
    }
}
