/// The one shell script every Git operation runs, in a worker container or (local mode) as a
/// local `/bin/sh`. The script text is constant; URL, branch and commit arrive as positional
/// arguments (`"$1"`, `"$2"`) and are never interpolated into shell text. Paths come from the
/// environment: `CHECKOUT` (the working tree).
///
/// Every operation that changes the checkout ends by printing `stevedore-head <commit>`.
public enum GitScript {
    /// An operation of the script and its arguments.
    public enum Operation: Sendable, Equatable {
        /// `git ls-remote URL refs/heads/BRANCH`.
        case lsRemote(url: String, branch: String)
        /// A shallow fetch of the branch into a throw-away repository made in `$CHECKOUT` (an
        /// empty scratch directory the caller removes), printing the fetched commit: the
        /// alternative remote check.
        case shallowFetch(url: String, branch: String)
        /// `git clone --single-branch --branch BRANCH URL $CHECKOUT` (an empty directory).
        case clone(url: String, branch: String)
        /// fetch, `reset --hard` to the fetched commit, `clean -fd` when `clean`.
        case update(url: String, branch: String, clean: Bool)
        /// `reset --hard COMMIT` (+ `clean -fd` when `clean`): puts back the recorded commit
        /// after an interrupted update. No network.
        case restore(commit: String, clean: Bool)

        /// The script's argument vector.
        public var arguments: [String] {
            switch self {
            case .lsRemote(let url, let branch): ["ls-remote", url, branch]
            case .shallowFetch(let url, let branch): ["shallow-fetch", url, branch]
            case .clone(let url, let branch): ["clone", url, branch]
            case .update(let url, let branch, let clean): ["update", url, branch, clean ? "clean" : "no-clean"]
            case .restore(let commit, let clean): ["restore", commit, clean ? "clean" : "no-clean"]
            }
        }

        /// The remote URL the operation talks to, if any.
        public var url: String? {
            switch self {
            case .lsRemote(let url, _), .shallowFetch(let url, _), .clone(let url, _), .update(let url, _, _): url
            case .restore: nil
            }
        }

        /// Whether the operation writes to the checkout.
        public var changesCheckout: Bool {
            switch self {
            case .lsRemote, .shallowFetch: false
            case .clone, .update, .restore: true
            }
        }
    }

    /// `$0` of the script (shows in `ps` and in error messages).
    public static let name = "stevedore-git"

    /// The script. `safe.directory=*`: the checkout may be owned by another uid than the
    /// worker's, and so may a local repository (a daemon running as `stevedore` cloning
    /// `/srv/git/app.git` of another user). For the latter, `-c` is not enough: git clears
    /// `GIT_CONFIG_PARAMETERS` for the `upload-pack` it runs in the other repository
    /// (`local_repo_env`), so the setting goes into a temporary global config
    /// (`GIT_CONFIG_GLOBAL`, git 2.32+), which includes the global config git would have read
    /// otherwise: an inherited `GIT_CONFIG_GLOBAL`, else `~/.gitconfig` (expanded by git).
    /// `--no-tags`: only the branch is needed.
    public static let text = #"""
        set -eu
        op=$1; shift
        cfg=$(mktemp "${TMPDIR:-/tmp}/stevedore-gitconfig.XXXXXX")
        trap 'rm -f "$cfg"' EXIT
        inc=${GIT_CONFIG_GLOBAL:-'~/.gitconfig'}
        printf '[safe]\n\tdirectory = *\n[include]\n\tpath = %s\n' "$inc" >"$cfg"
        export GIT_CONFIG_GLOBAL="$cfg"
        g() { git -c safe.directory='*' -c advice.detachedHead=false -c core.askPass=true -c credential.helper= "$@"; }
        head() { echo "stevedore-head $(g -C "$CHECKOUT" rev-parse HEAD)"; }
        case "$op" in
          ls-remote)
            git -c core.askPass=true ls-remote -- "$1" "refs/heads/$2" ;;
          shallow-fetch)
            g init -q "$CHECKOUT"
            g -C "$CHECKOUT" fetch --quiet --no-tags --depth 1 -- "$1" "refs/heads/$2"
            echo "stevedore-head $(g -C "$CHECKOUT" rev-parse FETCH_HEAD)" ;;
          clone)
            g clone --quiet --no-tags --single-branch --branch "$2" -- "$1" "$CHECKOUT"
            head ;;
          update)
            g -C "$CHECKOUT" remote set-url origin -- "$1"
            g -C "$CHECKOUT" fetch --quiet --prune --no-tags origin -- "+refs/heads/$2:refs/remotes/origin/$2"
            g -C "$CHECKOUT" reset --quiet --hard "refs/remotes/origin/$2"
            if [ "$3" = clean ]; then g -C "$CHECKOUT" clean -fdq; fi
            head ;;
          restore)
            g -C "$CHECKOUT" reset --quiet --hard "$1"
            if [ "$2" = clean ]; then g -C "$CHECKOUT" clean -fdq; fi
            head ;;
          *)
            echo "stevedore-git: unknown operation '$op'" >&2; exit 64 ;;
        esac
        """#

    /// The commit from the last `stevedore-head <commit>` line of `output` that names a
    /// commit id (``GitHead/isCommit(_:)``), if any. Lines are split at newline bytes.
    public static func reportedHead(in output: String) -> String? {
        let prefix = Array("stevedore-head ".utf8)
        for line in output.utf8.split(separator: 0x0A).reversed() where line.starts(with: prefix) {
            let commit = String(decoding: line.dropFirst(prefix.count), as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if GitHead.isCommit(commit) { return commit }
        }
        return nil
    }

    /// What `git ls-remote URL refs/heads/BRANCH` printed about the branch.
    public enum LsRemoteHead: Sendable, Equatable {
        /// The branch points at this commit.
        case commit(String)
        /// No line for `refs/heads/BRANCH` (other refs may end in the same name: ls-remote
        /// matches patterns at the end).
        case absent
        /// The line for the branch has this instead of a commit id.
        case notACommit(String)
    }

    /// Reads `git ls-remote` output (`<commit> TAB <ref> LF` per ref, git-ls-remote(1)): the
    /// line whose ref is exactly `refs/heads/<branch>`, compared byte for byte.
    public static func lsRemoteHead(in output: String, branch: String) -> LsRemoteHead {
        let ref = Array("refs/heads/\(branch)".utf8)
        for line in output.utf8.split(separator: 0x0A) {
            let parts = line.split(separator: 0x09, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[1].elementsEqual(ref) else { continue }
            let value = String(decoding: parts[0], as: UTF8.self)
            return GitHead.isCommit(value) ? .commit(value) : .notACommit(value)
        }
        return .absent
    }
}
