import Foundation

extension ComposeRunner {
    /// Kills the process groups of Compose runs (`up`, `config`, `down`) left by an earlier
    /// daemon on this state root (``LeftoverProcesses``), so that an orphaned `compose up` does
    /// not go on beside the next daemon's own run of the same project: processes whose argv has
    /// `--project-directory` followed by a directory under `<root>/deployments/` — the `docker`
    /// CLI, its `docker-compose` plugin (v2) and Python's `docker-compose` (v1) alike. Runs of
    /// other state roots are not touched.
    ///
    /// - Returns: the process groups killed.
    @discardableResult
    public static func killLeftovers(root: String) -> [pid_t] {
        let prefix = root + "/deployments/"
        return LeftoverProcesses.killGroups { process in
            let argv = process.arguments
            guard let flag = argv.firstIndex(of: "--project-directory"), flag + 1 < argv.count else { return false }
            return argv[flag + 1].hasPrefix(prefix)
        }
    }
}
