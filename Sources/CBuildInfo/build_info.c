#include "build_info.h"

#ifndef STEVEDORE_COMMIT
#define STEVEDORE_COMMIT ""
#endif

const char *stevedore_build_commit(void) { return STEVEDORE_COMMIT; }
