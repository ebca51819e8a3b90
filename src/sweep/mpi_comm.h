/* mpi_comm: the MPI implementation of cs_comm (base/comm.h). sweep/ and cli/ are the only
 * places that use MPI (DESIGN §1). */
#ifndef CS_MPI_COMM_H
#define CS_MPI_COMM_H

#include "base/comm.h"

/* Initialise MPI (once per process; harmless when not started by mpirun: one rank) and
 * return a communicator over MPI_COMM_WORLD. */
int mpi_comm_start(int *argc, char ***argv, cs_comm *out, cs_error *err);

/* Finalise MPI if mpi_comm_start initialised it. */
void mpi_comm_stop(void);

/* Abort every rank (used only by the CLI after a rank-local fatal error it cannot agree on). */
void mpi_comm_abort(int code);

#endif
