import Foundation
import Testing

/// `stevedore param …` (issue 6, parameters): validation, stdin, list without values, and a
/// Compose file whose `${VAR:?}` interpolation needs a parameter.
@Suite struct ParameterTests {
    @Test func parametersReachComposeOnlyThroughDeployUp() async throws {
        let scenario = try Scenario()
        defer { scenario.tearDown() }
        try await scenario.startDaemon()
        #expect(try scenario.cli("repo", "add", scenario.name, scenario.remote, "--poll-interval", "1h").status == 0)

        // Bad names: refused with what is allowed; nothing stored.
        for bad in ["1ABC", "A-B", "STEVEDORE_DATA", "", "Ä"] {
            let result = try scenario.cli("param", "set", scenario.name, bad, "x")
            #expect(result.status != 0)
            #expect(result.stderr.contains("invalid parameter name"), "\(bad): \(result.stderr)")
        }
        #expect(try scenario.cli("param", "list", scenario.name).stdout.contains("has no parameters"))
        #expect(try scenario.cli("param", "set", "nope", "A", "x").stderr.contains("no deployment named 'nope'"))

        // Value from an argument and from stdin (one trailing newline dropped).
        let set = try scenario.cli("param", "set", scenario.name, "GREETING", "hello from a parameter")
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdout.contains("stevedore deploy up \(scenario.name)"))
        let stdin = try sh("printf 's3cr3t\\n' | '\(stevedoreBinary)' param set \(scenario.name) TOKEN", environment: scenario.environment)
        #expect(stdin.contains("TOKEN set"))
        #expect(try scenario.cli("param", "get", scenario.name, "TOKEN").stdout == "s3cr3t\n")
        let listed = try scenario.json("param", "list", scenario.name) as? [String: Any]
        #expect(listed?["keys"] as? [String] == ["GREETING", "TOKEN"])
        #expect(!(try scenario.cli("param", "list", scenario.name).stdout.contains("s3cr3t")), "list must not print values")
        #expect(try scenario.cli("param", "set", scenario.name, "TOKEN", "s3cr3t").stdout.contains("unchanged"))
        #expect(try scenario.cli("param", "unset", scenario.name, "TOKEN").status == 0)
        #expect(try scenario.cli("param", "get", scenario.name, "TOKEN").stderr.contains("has no parameter TOKEN"))

        // A Compose file that requires the parameter (`${GREETING:?}`) deploys with it.
        try scenario.commitFile(
            "compose.yaml",
            """
            services:
              web:
                build: .
                init: true
                ports: ["127.0.0.1:\(scenario.appPort):8080"]
                environment:
                  GREETING: "${GREETING:?set it with stevedore param set}"
            """, message: "needs GREETING")
        #expect(try scenario.cli("deploy", "sync", scenario.name).status == 0)
        let up = try scenario.cli("deploy", "up", scenario.name)
        #expect(up.status == 0, "\(up.stderr)")
        let env = try sh(
            "docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' $(docker ps -q --filter label=com.docker.compose.project=\(scenario.project))"
        )
        #expect(env.contains("GREETING=hello from a parameter"))

        // Changing it does not redeploy by itself.
        #expect(try scenario.cli("param", "set", scenario.name, "GREETING", "changed").status == 0)
        try await Task.sleep(for: .seconds(3))
        let still = try sh(
            "docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' $(docker ps -q --filter label=com.docker.compose.project=\(scenario.project))"
        )
        #expect(still.contains("GREETING=hello from a parameter"))
        #expect(try scenario.cli("deploy", "up", scenario.name).status == 0)
        let applied = try sh(
            "docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' $(docker ps -q --filter label=com.docker.compose.project=\(scenario.project))"
        )
        #expect(applied.contains("GREETING=changed"))
    }
}
