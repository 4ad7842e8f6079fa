#include "../vmbus_shim.h"
