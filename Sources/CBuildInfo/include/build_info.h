#ifndef STEVEDORE_BUILD_INFO_H
#define STEVEDORE_BUILD_INFO_H

/// The git commit this binary was built from: 40 (or 64) lowercase hex digits, with "-dirty"
/// appended when the checkout had uncommitted changes; "" when the build did not say
/// (a plain `swift build`). Set by scripts/build-release.sh through the environment variable
/// STEVEDORE_COMMIT, which Package.swift turns into this target's STEVEDORE_COMMIT define.
/// A string constant in .rodata: it survives `strip`.
const char *stevedore_build_commit(void);

#endif
