#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's resident set size, which `--memory-limit` bounds (the history, the search caches, everything).
enum ResidentMemory {
    /// Resident bytes now (Linux: `/proc/self/statm`); 0 where it cannot be read.
    static func bytes() -> Int {
        #if os(Linux)
            let fd = open("/proc/self/statm", O_RDONLY)
            if fd < 0 { return 0 }
            defer { close(fd) }
            var buf = (0..<64).map { _ in UInt8(0) }
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, 64) }
            if n <= 0 { return 0 }
            // "size resident shared ...": the second field, in pages.
            var field = 0
            var value = 0
            for i in 0..<n {
                let b = buf[i]
                if b == UInt8(ascii: " ") {
                    field += 1
                    if field == 2 { break }
                    continue
                }
                if field == 1, b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") { value = value * 10 + Int(b - 48) }
            }
            return value * Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
            return 0
        #endif
    }
}
