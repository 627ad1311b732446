/// One integer-encoded step of a model: what an operation (or one micro-operation of a transaction) does.
///
/// Values are ids of the partition's ``ValueTable``; `key` indexes the registers of a composite model.
struct MicroOp: Hashable, Sendable {
    enum Kind: UInt8, Sendable {
        /// `a` is the value read (must equal the state), or -1 when unknown (always legal).
        case read
        /// The state becomes `a`.
        case write
        /// Legal only when the state is `a`; it becomes `b`.
        case cas
        /// The state becomes the concatenation of the state's string and `a`'s.
        case append
        /// Mutex: free (0) -> held (1).
        case acquire
        /// Mutex: held (1) -> free (0).
        case release
    }

    var kind: Kind
    var key: Int32
    var a: Int32
    var b: Int32

    init(_ kind: Kind, key: Int32 = 0, a: Int32 = 0, b: Int32 = 0) {
        self.kind = kind
        self.key = key
        self.a = a
        self.b = b
    }
}
