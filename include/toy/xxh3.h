/* toy/xxh3.h — xxHash (Debian's libxxhash-dev, copied into the build tree
 * as gen/xxhash.h) inlined into the including file, header-only, without
 * its streaming API and without the warnings its unused inline functions
 * give under -Werror. A file may pick the vector code first by defining
 * XXH_VECTOR (arch/x86_64/hash_avx2.c); the default is what the compiler
 * targets. */
#ifndef TOY_XXH3_H
#define TOY_XXH3_H

#define XXH_INLINE_ALL
#define XXH_NO_STREAM
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wunused-function"
#pragma clang diagnostic ignored "-Wmissing-prototypes"
#include <xxhash.h>
#pragma clang diagnostic pop

#endif
