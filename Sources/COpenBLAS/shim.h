// OpenBLAS's own cblas.h (pkg-config puts .../openblas-pthread/ first on the include path), so
// the binary links libopenblas directly, whatever the libblas alternative points at.
#include <cblas.h>
