/// The result of parsing a history file.
public struct ParsedHistory: Sendable {
    /// The events in file order (nemesis and other non-client entries dropped).
    public var events: [HistoryEvent]
    /// The format actually parsed (never `.auto`).
    public var format: HistoryFormat
    /// The model the format implies: "cas-register" for porcupine-etcd, "kv" for porcupine-kv, nil otherwise.
    public var suggestedModel: String?

    public init(events: [HistoryEvent], format: HistoryFormat, suggestedModel: String?) {
        self.events = events
        self.format = format
        self.suggestedModel = suggestedModel
    }
}
