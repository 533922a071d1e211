import ArgumentParser
import BLAS
import Foundation
import Learning
import Policy

/// `ttad-bench policy`: acting latency and update throughput of the Swift policy, against the same
/// network and update in PyTorch on the CPU (bench/policy/torch_bench.py) in the same run.
///
///     swift build -c release
///     .build/release/ttad-bench policy --python bench/.venv/bin/python
struct PolicyBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Policy latency (batch 1 and 8) and PPO update speed, with PyTorch ratios when --python is given.")

    @Option(help: "Python with torch installed (e.g. bench/.venv/bin/python); omit to skip the PyTorch comparison.")
    var python: String?

    @Option(help: "Path of torch_bench.py.")
    var script: String = "bench/policy/torch_bench.py"

    @Option(help: "BLAS (and torch) threads.")
    var threads: Int = 1

    @Option(help: "Latency samples per batch size.")
    var iterations: Int = 2000

    @Option(help: "Timed updates per size (median reported; one more runs first as warm-up).")
    var reps: Int = 5

    @Flag(help: "Only the default size.")
    var quick = false

    @Flag(help: "Keep OpenBLAS's own kernel choice even when it fell back to a generic one.")
    var keepBlasKernel = false

    struct Size {
        let name: String
        let observation: Int
        let hidden: [Int]
        let actions: Int
        let bins: Int
    }

    func run() throws {
        if !keepBlasKernel, let core = BLAS.suggestedCoreType {
            // OpenBLAS reads OPENBLAS_CORETYPE only when it loads: set it and start again.
            print("OpenBLAS picked the generic \(BLAS.coreName) kernel on this CPU; re-running with OPENBLAS_CORETYPE=\(core)")
            fflush(nil)   // exec discards buffered output (nil flushes every stream)
            setenv("OPENBLAS_CORETYPE", core, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
            throw ValidationError("re-exec failed (errno \(errno)); run with OPENBLAS_CORETYPE=\(core) or --keep-blas-kernel")
        }
        BLAS.threads = threads
        print("OpenBLAS \(BLAS.coreName), \(BLAS.threads) thread(s)")
        let peak = Self.sgemmPeak()
        print(String(format: "sgemm peak (best of 256..1024 square, and the update's shapes): %.1f GFLOP/s", peak))
        var sizes = [Size(name: "default", observation: 32, hidden: [256, 256], actions: 7, bins: 256)]
        if !quick { sizes.append(Size(name: "large", observation: 64, hidden: [512, 512, 512], actions: 7, bins: 256)) }

        for size in sizes {
            let config = PolicyConfig(observationSize: size.observation, actionSize: size.actions,
                                      hiddenSizes: size.hidden, bins: size.bins)
            let policy = Policy(config: config, seed: 1)
            print("\n== \(size.name): obs \(size.observation), hidden \(size.hidden), \(size.actions) x \(size.bins) bins, \(policy.parameterCount) parameters")
            let b1 = latency(policy, batch: 1)
            let b8 = latency(policy, batch: 8)
            let (updateSeconds, flops) = updateTime(policy)
            let gflops = flops / updateSeconds / 1e9
            print(String(format: "swift  batch 1: p50 %7.1f us  p99 %7.1f us", b1.p50, b1.p99))
            print(String(format: "swift  batch 8: p50 %7.1f us  p99 %7.1f us", b8.p50, b8.p99))
            print(String(format: "swift  update 8 x 200 steps, 4 epochs: %.1f ms, %.1f GFLOP/s (gemm flops), %.0f%% of sgemm peak",
                         updateSeconds * 1000, gflops, 100 * gflops / peak))
            // `exploration_noise_exponent` > 0: each attempt draws its noise once, before its reset.
            for steps in [200, ColoredNoise.longestSequence] {
                let noise = coloredNoiseTime(dimensions: size.actions, steps: steps)
                print(String(format: "swift  colored noise for one attempt of %d steps x %d dims: %.2f ms (%.1f us per step)",
                             steps, size.actions, noise * 1000, noise * 1e6 / Double(steps)))
            }

            guard let python else { continue }
            let torch = try runTorch(python: python, size: size)
            guard let t1 = torch["batch1"] as? [String: Double], let t8 = torch["batch8"] as? [String: Double],
                  let tu = torch["update"] as? [String: Double], let tUpdate = tu["median_s"] else {
                throw ValidationError("torch_bench.py printed an unexpected result: \(torch)")
            }
            print("torch \(torch["torch"] ?? "?"):")
            print(String(format: "torch  batch 1: p50 %7.1f us  p99 %7.1f us   -> swift %.1fx faster (p50)", t1["p50_us"]!, t1["p99_us"]!, t1["p50_us"]! / b1.p50))
            print(String(format: "torch  batch 8: p50 %7.1f us  p99 %7.1f us   -> swift %.1fx faster (p50)", t8["p50_us"]!, t8["p99_us"]!, t8["p50_us"]! / b8.p50))
            print(String(format: "torch  update: %.1f ms, %.1f GFLOP/s   -> swift %.2fx faster",
                         tUpdate * 1000, flops / tUpdate / 1e9, tUpdate / updateSeconds))
        }
    }

    /// p50/p99 of one `sample` call (forward, softmax, sampling) over `iterations` runs.
    func latency(_ policy: Policy, batch: Int) -> (p50: Double, p99: Double) {
        var rng = PolicyRNG(seed: 2)
        let obs = (0..<(batch * policy.config.observationSize)).map { _ in rng.nextGaussian() }
        let temps = [Float](repeating: 0.8, count: batch)
        for _ in 0..<100 { _ = policy.sample(observations: obs, temperatures: temps, rng: &rng) }
        var times: [Double] = []
        times.reserveCapacity(iterations)
        var sink: Float = 0
        for _ in 0..<iterations {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let s = policy.sample(observations: obs, temperatures: temps, rng: &rng)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
            sink += s[0].logProb
        }
        if sink.isNaN { print("") }   // keeps the work observable
        times.sort()
        return (times[times.count / 2], times[min(times.count - 1, times.count * 99 / 100)])
    }

    /// Median wall time of drawing one attempt's `ColoredNoise` (pink, exponent 1).
    func coloredNoiseTime(dimensions: Int, steps: Int) -> Double {
        var rng = PolicyRNG(seed: 4)
        var times: [Double] = []
        var sink: Float = 0
        for _ in 0...max(reps, 5) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            var noise = ColoredNoise(exponent: 1, length: steps, dimensions: dimensions, rng: &rng)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            sink += noise.next().first!
        }
        if sink.isNaN { print("") }   // keeps the work observable
        times.sort()
        return times[times.count / 2]
    }

    /// Median wall time of one update of 8 attempts x 200 steps, 4 epochs x 4 minibatches, and the
    /// gemm flops it does (forward 2*W per row, backward 2*W for dW and 2*(W - W0) for dX, plus the
    /// final KL forward; W = weights, W0 = first layer's).
    func updateTime(_ policy: Policy) -> (seconds: Double, flops: Double) {
        let attempts = 8, steps = 200
        let cfg = PPOConfig { $0.epochs = 4; $0.minibatches = 4; $0.targetKL = nil; $0.hardKL = 1e9 }
        let temps = TemperatureSchedule.temperatures(count: attempts, base: 0.6, range: 0.3).map(Float.init)
        var rng = PolicyRNG(seed: 3)
        let group = temps.enumerated().map { i, t in
            let obs = (0..<(steps * policy.config.observationSize)).map { _ in rng.nextGaussian() }
            let samples = policy.sample(observations: obs, temperatures: [Float](repeating: t, count: steps), rng: &rng)
            return Trajectory(observations: obs, samples: samples, temperature: t, reward: Double(i % 2))
        }
        let advantages = GroupAdvantage.advantages(rewards: group.map(\.reward))!
        var times: [Double] = []
        for rep in 0...reps {
            // A fresh copy each time so every rep does the same work from the same start.
            let trainer = PPOTrainer(policy: policy.copy(), reference: nil, config: cfg)
            let t0 = DispatchTime.now().uptimeNanoseconds
            let report = trainer.update(group: group, advantages: advantages, rng: &rng)
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            precondition(report.accepted && report.epochs == 4, "benchmark update was refused: \(report.refusal ?? "?")")
            if rep > 0 { times.append(dt) }
        }
        times.sort()
        let c = policy.config
        let widths = [c.observationSize] + c.hiddenSizes + [c.headOutputs]
        let w = zip(widths, widths.dropFirst()).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        let w0 = Double(widths[0] * widths[1])
        let rows = Double(attempts * steps)
        let flops = Double(cfg.epochs) * rows * (2 * w + 2 * w + 2 * (w - w0)) + rows * 2 * w
        return (times[times.count / 2], flops)
    }

    /// The best sgemm rate this machine reaches in this run: square sizes and the update's own shapes.
    static func sgemmPeak() -> Double {
        var best = 0.0
        for (m, n, k) in [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (400, 256, 256), (400, 1792, 256)] {
            let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
            var c = [Float](repeating: 0, count: m * n)
            let flops = 2.0 * Double(m * n * k)
            let reps = max(3, Int(2e9 / flops))
            for trial in 0..<2 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<reps {
                    BLAS.sgemm(.none, .none, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n)
                }
                let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                if trial == 1 { best = max(best, flops * Double(reps) / dt / 1e9) }
            }
        }
        return best
    }

    func runTorch(python: String, size: Size) throws -> [String: Any] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script, "--obs", "\(size.observation)", "--hidden"] + size.hidden.map(String.init) + [
            "--actions", "\(size.actions)", "--bins", "\(size.bins)", "--threads", "\(threads)",
            "--iters", "\(iterations)", "--reps", "\(reps)",
        ]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0, let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ValidationError("\(python) \(script) failed (status \(p.terminationStatus))")
        }
        return json
    }
}
