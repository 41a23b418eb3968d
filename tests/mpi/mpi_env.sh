# mpi_env.sh - sourced by the mpi tests once $mpirun and $here (this folder) are set: Open MPI as root and with
# more ranks than cores, sanitizer settings passed to every rank, and mpi N CMD...
# A sanitizer build: LeakSanitizer reports what Open MPI's libraries and plugins keep
# past MPI_Finalize. Those alone are suppressed (lsan_openmpi.supp); for the stacks to
# name them, the plugins stay loaded (Open MPI's disable_dlclose) and the unwinder is
# the slow, exact one (libc's vasprintf has no frame pointers).
supp=$here/lsan_openmpi.supp
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export LSAN_OPTIONS="suppressions=$supp${LSAN_OPTIONS:+:}${LSAN_OPTIONS:-}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}fast_unwind_on_malloc=0"
export OMPI_MCA_mca_base_component_disable_dlclose=1
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-}
export TG_MPI_TEST_KILL=
mpi() { n=$1; shift; "$mpirun" --oversubscribe -n "$n" -x LSAN_OPTIONS -x ASAN_OPTIONS \
    -x UBSAN_OPTIONS -x OMPI_MCA_mca_base_component_disable_dlclose -x TG_MPI_TEST_KILL "$@"; }
