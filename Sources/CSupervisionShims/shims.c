// Variadic C calls Swift cannot make directly.
#include <sys/prctl.h>
#include "supervision_shims.h"

int stevedore_set_child_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

int stevedore_clear_child_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
}

int stevedore_is_child_subreaper(void) {
    int value = 0;
    if (prctl(PR_GET_CHILD_SUBREAPER, &value, 0, 0, 0) != 0) return -1;
    return value;
}
