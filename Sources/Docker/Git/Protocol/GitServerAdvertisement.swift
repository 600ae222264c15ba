/// The first answer of `git-upload-pack` (gitprotocol-pack(5), gitprotocol-v2(5)): either
/// a v0/v1 ref advertisement, or a v2 capability advertisement when the client asked for v2
/// (`GIT_PROTOCOL=version=2`, or the `Git-Protocol: version=2` header over HTTP) and the
/// server speaks it. Read with ``GitServerAdvertisement/Reader``.
public enum GitServerAdvertisement: Sendable, Equatable {
    /// The server speaks v0 (or v1): the refs came with the advertisement.
    case version0(GitRefAdvertisement)
    /// The server speaks v2: the refs are asked for with `ls-refs` (``GitLsRefs``).
    case version2(GitCapabilityAdvertisement)

    /// Whether the server offered protocol v2.
    public var offersVersion2: Bool {
        if case .version2 = self { return true }
        return false
    }
}
