import ArgumentParser
import Foundation
import Services

/// Options shared by every command that talks to the daemon.
struct ClientOptions: ParsableArguments {
    @Option(
        name: .long, help: "State root (default: $STEVEDORE_ROOT or /opt/stevedore); the admin key is read from <root>/system/admin.key.")
    var root: String?

    @Option(name: .long, help: "Admin API address HOST:PORT (default: $STEVEDORE_LISTEN_ADDR or 0.0.0.0:42107).")
    var listen: String?

    func validate() throws {
        if let listen {
            do { _ = try DaemonConfiguration.parseListenAddress(listen) } catch { throw ValidationError(String(describing: error)) }
        }
    }

    /// The configuration these options and the environment describe.
    ///
    /// - Parameter daemon: `true` for `stevedore daemon`, which validates every setting;
    ///   clients ignore daemon-only ones (``DaemonConfiguration/daemonOnlyVariables``).
    func configuration(daemon: Bool = false) throws -> DaemonConfiguration {
        let env = environment
        return daemon ? try DaemonConfiguration(environment: env) : try DaemonConfiguration.forClient(environment: env)
    }

    /// The process environment with `--root` and `--listen` applied.
    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        if let root { env["STEVEDORE_ROOT"] = root }
        if let listen { env["STEVEDORE_LISTEN_ADDR"] = listen }
        return env
    }

    /// A client for the running daemon.
    ///
    /// - Throws: ``ServiceError/adminKeyMissing(_:)`` if the key file is absent.
    func client() throws -> AdminClient {
        let configuration = try configuration()
        let key = try AdminKey.load(root: configuration.root, generate: false)
        return AdminClient(baseURL: configuration.localBaseURL, key: key)
    }
}

/// A positional deployment name, validated before anything is sent.
struct DeploymentNameArgument: ParsableArguments {
    @Argument(help: "Deployment name (^[a-z0-9][a-z0-9_-]{0,62}$).")
    var name: String

    func validate() throws {
        do {
            try Validation.deploymentName(name)
        } catch {
            throw ValidationError(String(describing: error))
        }
    }
}

/// Prints `value` as indented JSON on stdout.
func printJSON(_ value: some Encodable) throws {
    let data = try APICoding.encoder(pretty: true).encode(value)
    print(String(decoding: data, as: UTF8.self))
}
