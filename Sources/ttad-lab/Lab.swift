import ArgumentParser
import BLAS

/// `ttad-lab`: offline tools around the adaptation loop: make starting policies, and measure
/// whether test-time adaptation works (docs/experiment.md).
@main
struct Lab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttad-lab",
        abstract: "Pretrain starting policies and run the adaptation experiment in simulation.",
        subcommands: [Pretrain.self, Experiment.self, Probe.self])

    static func main() {
        BLAS.reexecWithNativeKernelIfNeeded()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch { exit(withError: error) }
    }
}

/// `--dynamics NAME=VALUE` (repeatable), shared by `experiment` and `probe`. Defaults to the
/// experiment's shift: joint damping x3, actuator gear x0.6.
struct DynamicsShift: ParsableArguments {
    @Option(name: .customLong("dynamics"), help: "Dynamics shift NAME=VALUE (repeatable).")
    var pairs: [String] = ["damping_scale=3", "gear_scale=0.6"]

    /// The pairs as a dictionary; the error names the pair that is wrong.
    func parsed() throws -> [String: Double] {
        var dynamics: [String: Double] = [:]
        for pair in pairs {
            let parts = pair.split(separator: "=").map(String.init)
            guard parts.count == 2, let v = Double(parts[1]) else { throw ValidationError("--dynamics \(pair): expected NAME=NUMBER") }
            dynamics[parts[0]] = v
        }
        return dynamics
    }
}
