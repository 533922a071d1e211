// Placeholder until the Learning module lands: the daemon only needs the schedule's values.
public enum TemperatureSchedule {
    public static func temperatures(count: Int, base: Double, range: Double) -> [Double] {
        count == 1 ? [base] : (0..<count).map { base + range * Double($0) / Double(count - 1) }
    }
}
