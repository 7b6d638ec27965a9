namespace Ferry.Server.Nodes;

/// <summary>
/// How many jobs a node may run at once, from its cores and memory:
/// maxConcurrentJobs = max(1, min(4 × cores, 2 × memory in GiB)); the default concurrentJobsLimit is
/// max(1, min(2 × cores, maxConcurrentJobs)). A copy keeps a core busy about half of its time waiting on stores,
/// so two jobs per core is the default and four the ceiling; 512 MiB per job keeps row-group buffers in memory.
/// </summary>
public static class ConcurrencyRule
{
    public static int MaxConcurrentJobs(int processorCount, long totalMemoryMB) =>
        Math.Max(1, (int)Math.Min(4L * Math.Max(1, processorCount), 2L * (totalMemoryMB / 1024)));

    public static int DefaultLimit(int processorCount, long totalMemoryMB) =>
        Math.Max(1, Math.Min(2 * Math.Max(1, processorCount), MaxConcurrentJobs(processorCount, totalMemoryMB)));
}
