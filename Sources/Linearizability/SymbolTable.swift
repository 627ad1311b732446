import Synchronization

/// The process-wide table of the strings histories use as function names and keys, each stored once, so that
/// events and operations hold a 32-bit id instead of a 16-byte `String` each (a long history holds millions).
///
/// Id 0 is "no string" (an absent key). A history names few distinct functions and keys compared with its
/// operations; the table keeps every string it has seen for the life of the process.
enum SymbolTable {
    private struct State {
        var ids: [String: UInt32] = [:]
        var names: [String] = [""]  // index 0: none
    }

    private static let state = Mutex(State())

    /// The id of `s` (added when new); 0 for nil.
    static func id(_ s: String?) -> UInt32 {
        guard let s else { return 0 }
        return state.withLock { st in
            if let id = st.ids[s] { return id }
            let id = UInt32(st.names.count)
            st.names.append(s)
            st.ids[s] = id
            return id
        }
    }

    /// The string of `id`; nil for 0.
    static func name(_ id: UInt32) -> String? {
        id == 0 ? nil : state.withLock { $0.names[Int(id)] }
    }
}
