/* The registry moved to core/registry.h; this stays until core/lang includes that instead. */
#include "../registry.h"
