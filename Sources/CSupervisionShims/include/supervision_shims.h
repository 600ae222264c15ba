#ifndef STEVEDORE_SUPERVISION_SHIMS_H
#define STEVEDORE_SUPERVISION_SHIMS_H

/// prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants are reparented to this process
/// instead of init, so that it can reap them. Returns 0, or -1 with errno set. prctl(2).
int stevedore_set_child_subreaper(void);

/// prctl(PR_SET_CHILD_SUBREAPER, 0): stop being a subreaper (tests). Returns 0 or -1.
int stevedore_clear_child_subreaper(void);

/// prctl(PR_GET_CHILD_SUBREAPER): 1 if this process is a child subreaper, 0 if not, -1 on error.
int stevedore_is_child_subreaper(void);

#endif
