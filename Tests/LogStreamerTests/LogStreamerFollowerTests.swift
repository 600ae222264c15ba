import Docker
import Testing

@testable import LogStreamer

/// How a follower takes the engine's answers about its container.
@Suite struct LogStreamerFollowerTests {
    /// A container Compose is replacing answers 409 "dead or marked for removal" (seen on
    /// every deploy in the fault drills' logs, each time as a warning): the follower ends as
    /// for a removed one. Other errors keep it retrying, and are worth a warning.
    @Test func aContainerMarkedForRemovalEndsItsFollowerQuietly() {
        let path = "/containers/000d62fd32bb/logs?follow=1&stdout=1&stderr=1&timestamps=1"
        #expect(LogStreamer.containerIsGone(.api(status: 404, message: "No such container: 000d62fd32bb", path: path)))
        #expect(
            LogStreamer.containerIsGone(
                .api(status: 409, message: "can not get logs from container which is dead or marked for removal", path: path)))
        #expect(!LogStreamer.containerIsGone(.api(status: 409, message: "container is paused", path: path)))
        #expect(!LogStreamer.containerIsGone(.api(status: 500, message: "configured logging driver does not support reading", path: path)))
        #expect(!LogStreamer.containerIsGone(.unreachable(socket: "/var/run/docker.sock", detail: "connection refused")))
    }
}
