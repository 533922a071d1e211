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
