namespace Ferry.Server.Store;

/// <summary>One runtime's nodes in one recorded status.</summary>
public sealed record NodeStatusCount(string Factory, string Runtime, string Status, long Nodes);

/// <summary>What waits on one queue (a runtime's, or "managed"): how many jobs and since when the oldest.</summary>
public sealed record QueueDepth(string Queue, string? Factory, string? Runtime, long Jobs, DateTimeOffset? OldestQueuedAt);

public partial interface IFerryStore
{
    /// <summary>Nodes counted by runtime and recorded status, for /metrics.</summary>
    Task<IReadOnlyList<NodeStatusCount>> CountNodesByStatusAsync(CancellationToken ct);

    /// <summary>Queued jobs by queue, with the oldest one's age, for /metrics.</summary>
    Task<IReadOnlyList<QueueDepth>> ListQueueDepthsAsync(CancellationToken ct);
}
