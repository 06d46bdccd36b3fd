/*
 * stats.h -- human-readable and JSON statistics of one pool
 */
#ifndef VMEM_STATS_H
#define VMEM_STATS_H 1

struct vmem;

/* stats_print -- print the pool's statistics through the print function */
void stats_print(struct vmem *vmp, const char *opts);

#endif /* VMEM_STATS_H */
