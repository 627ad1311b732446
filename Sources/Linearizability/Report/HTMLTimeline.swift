/// Renders checker results as one self-contained HTML page (inline CSS and JS, no external assets).
///
/// Each `Timeline` becomes a section with its verdict and one lane per process. Each operation is one
/// absolutely positioned `div` from its start to its end. The x axis is the *order* of distinct start/end
/// times (as in Porcupine's visualization), so concurrency stays visible however uneven the real gaps are;
/// the real times show on hover. Never-completed operations run open-ended to the right edge, `info` ones are
/// hatched, `fail` ones grey, the failing operation red. Hovering an operation shows its label, result, times
/// and linearization position, and highlights the operations linearized before it. All user text is escaped.
public enum HTMLTimeline {
    /// Lane height in pixels.
    static let laneHeight = 22
    /// Height of the time axis under the lanes.
    static let axisHeight = 18
    /// At most this many time labels per timeline.
    static let maxTicks = 400

    /// The whole page.
    public static func render(_ timelines: [Timeline], title: String) -> String {
        var out = ""
        out.reserveCapacity(4096 + timelines.reduce(0) { $0 + $1.ops.count * 160 })
        out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
        out += HTMLEscape.escape(title)
        out += "</title>\n<style>\n" + css + "</style>\n</head>\n<body>\n<h1>" + HTMLEscape.escape(title) + "</h1>\n"
        out += legend
        if timelines.count > 1 {
            out += "<ul class=\"toc\">\n"
            for (index, timeline) in timelines.enumerated() {
                out += "<li><a href=\"#tl-\(index)\">" + heading(timeline) + "</a> "
                out +=
                    verdictSpan(timeline.verdict) + " <span class=\"count\">(\(timeline.ops.count) ops)</span></li>\n"
            }
            out += "</ul>\n"
        }
        for (index, timeline) in timelines.enumerated() {
            renderSection(timeline, index: index, into: &out)
        }
        out += "<div id=\"tip\"></div>\n<script>\n" + script + "</script>\n</body>\n</html>\n"
        return out
    }

    static func heading(_ timeline: Timeline) -> String {
        if let key = timeline.key {
            return "key <code>" + HTMLEscape.escape(key) + "</code>"
        }
        return "history"
    }

    static func verdictSpan(_ verdict: String) -> String {
        let lower = verdict.lowercased()
        let cls: String
        if lower.hasPrefix("linearizable") || lower == "ok" || lower == "pass" {
            cls = "good"
        } else if lower.contains("not") || lower.contains("illegal") || lower.contains("fail") {
            cls = "bad"
        } else {
            cls = "unknown"
        }
        return "<span class=\"verdict \(cls)\">" + HTMLEscape.escape(verdict) + "</span>"
    }

    static func renderSection(_ timeline: Timeline, index: Int, into out: inout String) {
        out +=
            "<section id=\"tl-\(index)\">\n<h2>" + heading(timeline) + ": " + verdictSpan(timeline.verdict) + "</h2>\n"
        if let note = timeline.note {
            out += "<p class=\"note\">" + HTMLEscape.escape(note) + "</p>\n"
        }
        let ops = timeline.ops
        guard !ops.isEmpty else {
            out += "<p class=\"note\">No operations.</p>\n</section>\n"
            return
        }

        // Lanes: one per process, in ascending order.
        let processes = Array(Set(ops.map(\.process))).sorted()
        var laneOf: [Int: Int] = [:]
        for (lane, process) in processes.enumerated() {
            laneOf[process] = lane
        }

        // x: rank of each distinct time point.
        var points: [Int64] = []
        points.reserveCapacity(ops.count * 2)
        for op in ops {
            points.append(op.start)
            if let end = op.end { points.append(end) }
        }
        points.sort()
        var distinct: [Int64] = []
        distinct.reserveCapacity(points.count)
        for p in points where distinct.last != p {
            distinct.append(p)
        }
        func rank(_ t: Int64) -> Int {
            var lo = 0
            var hi = distinct.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if distinct[mid] < t { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        let slots = distinct.count + 1  // one spare slot on the right for open-ended bars
        let slot = max(12, min(48, 1240 / max(slots, 1)))
        let lanesHeight = processes.count * laneHeight
        let height = lanesHeight + axisHeight
        let linearized = ops.reduce(0) { $0 + ($1.linearizedAt != nil ? 1 : 0) }

        out += "<div class=\"zoom\"><button data-z=\"0.5\">zoom out</button><button data-z=\"2\">zoom in</button>"
        out += "<button data-z=\"fit\">fit</button> \(ops.count) operations, \(processes.count) processes</div>\n"
        out += "<div class=\"frame\">\n<div class=\"lanes\" style=\"height:\(height)px\">"
        for (lane, process) in processes.enumerated() {
            out += "<div style=\"top:\(lane * laneHeight)px\">P\(process)</div>"
        }
        out += "<div style=\"top:\(lanesHeight)px\">time</div>"
        out += "</div>\n<div class=\"scroll\"><div class=\"chart\" data-n=\"\(linearized)\" "
        out += "style=\"--s:\(slot)px;--n:\(slots);height:\(height)px\">\n"
        // The time axis: the real time of every `step`-th slot, at most `maxTicks` labels.
        let step = max((90 + slot - 1) / slot, (distinct.count + maxTicks - 1) / maxTicks, 1)
        out += "<div class=\"axis\" style=\"top:\(lanesHeight)px\">"
        var tick = 0
        while tick < distinct.count {
            out += "<span style=\"--l:\(tick)\">\(distinct[tick])</span>"
            tick += step
        }
        out += "</div>\n"
        for op in ops {
            // Positions are in slots (--l, --w) and lanes (--y); CSS scales them by --s, so zooming is one update.
            let left = rank(op.start)
            var cls = "o " + op.status.rawValue
            let span: Int
            if let end = op.end {
                span = max(rank(end) - left, 1)
            } else {
                span = slots - left
                cls += " open"
            }
            if op.isFailing { cls += " failing" }
            let lane = laneOf[op.process, default: 0]
            out +=
                "<div class=\"\(cls)\" style=\"--l:\(left);--w:\(span);--y:\(lane)\" data-p=\"\(op.process)\" data-s=\"\(op.start)\""
            if let end = op.end {
                out += " data-e=\"\(end)\""
            }
            if let position = op.linearizedAt {
                out += " data-l=\"\(position)\""
            }
            out += " data-r=\"" + HTMLEscape.escape(op.result) + "\">" + HTMLEscape.escape(op.label) + "</div>\n"
        }
        out += "</div></div>\n</div>\n</section>\n"
    }

    static let legend = """
        <p class="legend"><span class="o ok">ok</span> <span class="o fail">fail (not applied)</span> \
        <span class="o info">info (unknown outcome)</span> <span class="o ok open">never completed</span> \
        <span class="o ok failing">cannot be linearized</span> <span class="o ok before">linearized before the \
        hovered op</span> &#8212; the x axis is the order of start/end times; hover an operation for details.</p>

        """

    static let css = """
        body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222}
        h1{font-size:18px;margin:0 0 8px}h2{font-size:15px;margin:18px 0 4px}
        code{background:#f2f2f2;padding:0 3px;border-radius:3px}
        .verdict{font-weight:600;padding:1px 6px;border-radius:3px}
        .verdict.good{background:#dff3e3;color:#146c2e}.verdict.bad{background:#fde2e1;color:#a4161a}
        .verdict.unknown{background:#fff1cc;color:#7a5a00}
        .note{margin:2px 0 6px;color:#555;white-space:pre-wrap}.count{color:#777}
        .toc{margin:4px 0 8px;padding-left:20px}
        .legend .o{position:static;display:inline-block;height:16px;padding:0 6px;margin-right:2px}
        .frame{display:flex;border:1px solid #ccc;background:#fff}
        .lanes{position:relative;width:56px;flex:none;border-right:1px solid #ccc;background:#f7f7f7}
        .lanes div{position:absolute;left:4px;height:22px;line-height:22px;font-size:11px;color:#555}
        .scroll{overflow-x:auto;overflow-y:hidden;flex:1}
        .chart{position:relative;width:calc(var(--n)*var(--s));background:repeating-linear-gradient(#fff 0 22px,#f6f8fa 22px 44px)}
        .axis{position:absolute;left:0;right:0;height:18px;box-sizing:border-box;border-top:1px solid #ccc;font-size:10px;color:#777}
        .axis span{position:absolute;left:calc(var(--l)*var(--s));border-left:1px solid #bbb;padding-left:2px;white-space:nowrap}
        .zoom{margin:2px 0 4px;color:#777;font-size:12px}.zoom button{font-size:11px;margin-right:4px}
        .chart .o{left:calc(var(--l)*var(--s) + 1px);width:calc(var(--w)*var(--s) - 2px);top:calc(var(--y)*22px + 2px)}
        .o{position:absolute;height:18px;line-height:18px;box-sizing:border-box;font-size:11px;overflow:hidden;\
        white-space:nowrap;padding:0 3px;border-radius:3px;border:1px solid #3b6fb6;background:#cfe0f7;cursor:default}
        .o.fail{background:#e4e4e4;border-color:#999;color:#555;border-style:dashed}
        .o.info{background:repeating-linear-gradient(45deg,#fff3c4 0 4px,#ffe08a 4px 8px);border-color:#c79a00}
        .o.open{border-right:none;border-radius:3px 0 0 3px;-webkit-mask-image:linear-gradient(90deg,#000 60%,transparent)}
        .o.failing{background:#f8b4b4;border:2px solid #d00;color:#600;font-weight:600;z-index:2}
        .hl .o{opacity:.35}.hl .o.before,.hl .o.failing,.hl .o.cur{opacity:1}
        .o.before{outline:2px solid #1a7f37;background:#c9efd3}
        .o:hover,.o.cur{outline:2px solid #000;z-index:3}
        #tip{position:fixed;display:none;background:#222;color:#fff;padding:6px 8px;border-radius:4px;\
        white-space:pre;font-size:12px;pointer-events:none;z-index:10;max-width:60ch;overflow:hidden}

        """

    static let script = """
        (function(){
        var tip=document.getElementById('tip');
        document.querySelectorAll('.chart').forEach(function(chart){
        var ops=Array.prototype.slice.call(chart.querySelectorAll('.o')),lit=[];
        function clear(){chart.classList.remove('hl');lit.forEach(function(e){e.classList.remove('before','cur');});lit=[];}
        chart.addEventListener('mouseover',function(ev){
        var t=ev.target.closest('.o');if(!t){return;}
        clear();var d=t.dataset,l=t.getAttribute('data-l');
        var lines=['process '+d.p,t.textContent+'  \\u2192  '+d.r,
        'start '+d.s+(d.e!==undefined?'   end '+d.e:'   never completed'),
        l!==null?'linearized #'+(+l+1)+' of '+chart.dataset.n:'not linearized'];
        if(t.classList.contains('failing')){lines.push('cannot be linearized');}
        if(l!==null){var L=+l;chart.classList.add('hl');
        ops.forEach(function(o){var x=o.getAttribute('data-l');if(x!==null&&+x<L){o.classList.add('before');lit.push(o);}});}
        t.classList.add('cur');lit.push(t);tip.textContent=lines.join('\\n');tip.style.display='block';});
        chart.addEventListener('mousemove',function(ev){tip.style.left=(ev.clientX+14)+'px';tip.style.top=(ev.clientY+14)+'px';});
        chart.addEventListener('mouseleave',function(){clear();tip.style.display='none';});
        var section=chart.closest('section'),scroll=chart.parentNode,bad=chart.querySelector('.failing');
        if(bad){scroll.scrollLeft=Math.max(0,bad.offsetLeft-scroll.clientWidth/3);}
        section.querySelectorAll('.zoom button').forEach(function(b){b.addEventListener('click',function(){
        var s=parseFloat(chart.style.getPropertyValue('--s')),n=+chart.style.getPropertyValue('--n'),z=b.getAttribute('data-z');
        s=z==='fit'?scroll.clientWidth/n:Math.min(200,Math.max(0.05,s*+z));chart.style.setProperty('--s',s+'px');});});
        });
        })();

        """
}
