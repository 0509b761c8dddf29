/* logdump.h — prints the log found on a device image (every summary block:
 * sequence, chain hashes, epoch, records, whether each page's data block
 * still matches its hash) and both superblocks, for debugging a failing
 * crash or differential run. */
#ifndef TOY_TEST_LOGDUMP_H
#define TOY_TEST_LOGDUMP_H

#include "memdev.h"

void logdump(const struct memdev *m);

#endif
