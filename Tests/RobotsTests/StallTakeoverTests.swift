import Demonstrators
import Testing

/// The experiments' stand-in for a person (issue 17): takes over after `stallSteps` steps without
/// progress, drives `holdSteps` steps, hands back.
struct StallTakeoverTests {
    @Test func thePersonTakesOverAfterTheStallAndHandsBackAfterTheHold() {
        var rule = StallTakeover(stallSteps: 3, holdSteps: 2)
        var driven: [Bool] = []
        // Progress rises for 2 steps, then stalls.
        for progress in [0.1, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2] {
            driven.append(rule.personDrivesNextStep())
            rule.observe(progress: progress)
        }
        // Steps 1-5 are the robot's (two rising, three flat), 6-7 the person's, then three more flat
        // steps of the robot's before the person takes over again.
        #expect(driven == [false, false, false, false, false, true, true, false, false, false])
    }

    @Test func progressWhileThePersonDrivesDoesNotCountAgainstTheRobot() {
        var rule = StallTakeover(stallSteps: 2, holdSteps: 1)
        for progress in [0.0, 0.0] { _ = rule.personDrivesNextStep(); rule.observe(progress: progress) }
        let takesOver = rule.personDrivesNextStep()
        #expect(takesOver)
        rule.observe(progress: 0.5)        // the person's step made progress
        let handsBack = !rule.personDrivesNextStep()
        #expect(handsBack)
        rule.observe(progress: 0.6)
        let robotDrives = !rule.personDrivesNextStep()
        #expect(robotDrives, "the robot is progressing on its own")
    }

    @Test func aResetStartsTheCountAgain() {
        var rule = StallTakeover(stallSteps: 2, holdSteps: 5)
        for _ in 0..<2 { _ = rule.personDrivesNextStep(); rule.observe(progress: 0) }
        let takesOver = rule.personDrivesNextStep()
        #expect(takesOver)
        rule.reset()
        let afterReset = rule.personDrivesNextStep()
        #expect(!afterReset, "a new attempt starts with the robot driving")
    }

    @Test func gainsBelowTheMinimumAreNoProgress() {
        var rule = StallTakeover(stallSteps: 3, holdSteps: 1, minimumGain: 0.05)
        for progress in [0.01, 0.02, 0.03] {
            let drives = rule.personDrivesNextStep()
            #expect(!drives)
            rule.observe(progress: progress)
        }
        let takesOver = rule.personDrivesNextStep()
        #expect(takesOver)
    }
}
