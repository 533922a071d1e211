import Dispatch

/// Runs `body`, which blocks (a thread join, a socket close), on a Dispatch thread and waits for
/// it without holding one of Swift concurrency's few cooperative threads meanwhile.
func onBlockingThread(_ body: @escaping @Sendable () -> Void) async {
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        DispatchQueue.global().async {
            body()
            done.resume()
        }
    }
}
