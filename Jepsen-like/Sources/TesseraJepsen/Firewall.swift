/// Kernel packet drops between node addresses: iptables rules in the INPUT chain of the harness's own
/// network namespace (so the host's rules are never touched; they vanish with the namespace).
///
/// Nodes bind their outbound peer connections to their listen addresses, so a rule by address pair matches
/// both directions of their traffic. Clients connect from 127.0.0.1 and are never cut.
struct Firewall: Sendable {
    /// Drops every packet from `a` to `b` and from `b` to `a`.
    func cut(_ pairs: [(String, String)]) throws(HarnessError) {
        for (a, b) in pairs {
            try SystemCommand.run(["iptables", "-w", "-A", "INPUT", "-s", a, "-d", b, "-j", "DROP"])
            try SystemCommand.run(["iptables", "-w", "-A", "INPUT", "-s", b, "-d", a, "-j", "DROP"])
        }
    }

    /// Removes every rule (heals every partition).
    func heal() throws(HarnessError) {
        try SystemCommand.run(["iptables", "-w", "-F", "INPUT"])
    }

    /// The current rules, for error messages and checks.
    func rules() throws(HarnessError) -> String {
        try SystemCommand.run(["iptables", "-w", "-S", "INPUT"])
    }
}
