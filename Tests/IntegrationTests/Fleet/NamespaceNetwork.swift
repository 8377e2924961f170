import Foundation
import Glibc

/// Hosts as network namespaces of the test's own: a bridge in the root namespace with an address,
/// one namespace per host joined to it by a veth pair, and a socat forwarder on the bridge's address
/// to radosgw on loopback. Needs root, iproute2 and socat; `remove()` undoes everything.
final class NamespaceNetwork: @unchecked Sendable {
    let tag: String
    let subnet: String
    let hosts: Int
    private(set) var forwarder: Process?
    /// The forwarder's port on the bridge address.
    let port: Int

    /// Creates the bridge, `hosts` namespaces and the forwarder to `target` (`127.0.0.1:PORT`).
    init(hosts: Int, target: String) throws {
        let random = UInt32.random(in: 0..<0xFFFF)
        tag = String(format: "%04x", random)
        subnet = "10.\(200 + Int(random % 50)).\(Int(random / 50) % 250)"
        self.hosts = hosts
        port = Int.random(in: 20_000..<60_000)
        do {
            try Self.sh("ip link add fb\(tag) type bridge && ip addr add \(subnet).1/24 dev fb\(tag) && ip link set fb\(tag) up")
            for host in 1...hosts {
                let ns = namespace(host), outer = "fv\(tag)\(host)", inner = "fn\(tag)\(host)"
                try Self.sh(
                    "ip netns add \(ns) && ip link add \(outer) type veth peer name \(inner) && ip link set \(inner) netns \(ns) "
                        + "&& ip link set \(outer) master fb\(tag) && ip link set \(outer) up "
                        + "&& ip -n \(ns) addr add \(subnet).\(10 + host)/24 dev \(inner) && ip -n \(ns) link set \(inner) up "
                        + "&& ip -n \(ns) link set lo up && ip -n \(ns) route add default via \(subnet).1")
            }
            let socat = Process()
            socat.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
            socat.arguments = ["TCP-LISTEN:\(port),bind=\(subnet).1,fork,reuseaddr", "TCP:\(target)"]
            try socat.run()
            forwarder = socat
            // The forwarder listens once a namespace can connect through it.
            var ready = false
            for _ in 0..<50 where !ready {
                ready = (try? Self.sh(
                    "ip netns exec \(namespace(1)) python3 -c 'import socket; socket.create_connection((\"\(subnet).1\", \(port)), 1)'")) != nil
                if !ready { usleep(100_000) }
            }
            guard ready else { throw TestSetupError("the forwarder on \(subnet).1:\(port) did not answer from a namespace") }
        } catch {
            remove()
            throw error
        }
    }

    /// The endpoint the hosts use.
    var endpoint: String { "http://\(subnet).1:\(port)" }

    /// Host `host`'s namespace (1-based).
    func namespace(_ host: Int) -> String { "fleet\(tag)h\(host)" }

    /// Runs a command inside host `host`'s namespace (`ip netns exec` execs it).
    func launcher(_ host: Int) -> [String] { ["/usr/sbin/ip", "netns", "exec", namespace(host)] }

    /// Cuts (or restores) host `host`'s link to the bridge.
    func setLink(_ host: Int, up: Bool) throws {
        try Self.sh("ip link set fv\(tag)\(host) \(up ? "up" : "down")")
    }

    /// Stops the forwarder and deletes the namespaces (their veth pairs go with them) and the bridge.
    func remove() {
        if let forwarder, forwarder.isRunning {
            // socat's forked connections keep running after a SIGTERM to the listener: kill, bounded wait.
            kill(forwarder.processIdentifier, SIGKILL)
            for _ in 0..<50 where forwarder.isRunning { usleep(100_000) }
        }
        for host in 1...hosts { try? Self.sh("ip netns del \(namespace(host)) 2>/dev/null; ip link del fv\(tag)\(host) 2>/dev/null; true") }
        try? Self.sh("ip link del fb\(tag) 2>/dev/null; true")
    }

    /// Runs `command` with sh; throws with its output when it fails.
    @discardableResult
    static func sh(_ command: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestSetupError("`\(command)` failed (\(process.terminationStatus)): \(output)") }
        return output
    }
}
