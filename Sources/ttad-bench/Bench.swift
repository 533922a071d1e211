import ArgumentParser

/// `ttad-bench`: speed, side by side with the alternative a user would pick, as ratios in one run.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttad-bench",
        abstract: "ttad's benchmarks (bench/README.md).",
        subcommands: [
            PolicyBench.self, RobotsBench.self, WireBench.self, EstopBench.self, ExportBench.self, BridgeBench.self, RawEchoServer.self,
            RawBridgeEchoServer.self,
        ])
}
