#include "../hyperv_vmbus.h"
