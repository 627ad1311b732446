extension HistoryEvent {
    /// This event as one line of Tessera's JSONL history (design.md section 6), without the newline:
    /// `{"process":3,"type":"ok","f":"write","key":"k7","value":42,"time":2210}`. `key` and `time` are left out
    /// when nil. JSON has no keywords, so a keyword value is written as a string (without its colon);
    /// everything else reads back through `HistoryParser` unchanged.
    public var jsonLine: String {
        var out = "{\"process\":"
        out += String(process)
        out += ",\"type\":\""
        out += kind.rawValue
        out += "\",\"f\":"
        JSONText.appendString(f, to: &out)
        if let key {
            out += ",\"key\":"
            JSONText.appendString(key, to: &out)
        }
        out += ",\"value\":"
        JSONText.appendValue(value, to: &out)
        if let time {
            out += ",\"time\":"
            out += String(time)
        }
        out += "}"
        return out
    }
}
