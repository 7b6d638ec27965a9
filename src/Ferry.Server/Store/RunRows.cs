namespace Ferry.Server.Store;

/// <summary>A pipeline run: the pipeline as it was when the run started, its parameters, and where it stands.</summary>
public sealed record PipelineRunRow(Guid Id, string Factory, string Pipeline, string Status, string ParametersJson, string PipelineJson,
    DateTimeOffset RunStart, DateTimeOffset? RunEnd, string? Message, bool CancelRequested, DateTimeOffset LastUpdated);

/// <summary>One run of one activity of a pipeline run, with the runtime and node that ran it.</summary>
public sealed record ActivityRunRow(Guid Id, Guid RunId, string Activity, string Type, string Status, string? Runtime, string? Node,
    string? InputJson, string? OutputJson, string? ErrorJson, DateTimeOffset QueuedAt, DateTimeOffset? RunStart, DateTimeOffset? RunEnd, int Attempt);

/// <summary>
/// A leasable piece of work on a runtime's queue ('managed' for the server's own). Epoch is the fencing token of the
/// current lease; History keeps each attempt's node and end, for the error when the retry budget is spent. Step names
/// the job's step of a copy split over nodes (null for a whole copy); Outcome and Output are what it ended with.
/// </summary>
public sealed record JobRow(Guid Id, string Queue, Guid ActivityRunId, string PayloadJson, string Status, Guid? NodeId, string? NodeName, int Epoch,
    DateTimeOffset? LeaseExpires, int Attempts, int MaxAttempts, DateTimeOffset NotBefore, DateTimeOffset CreatedAt, bool CancelRequested, string HistoryJson,
    string? Step = null, string? Outcome = null, string? OutputJson = null);

/// <summary>The statuses of jobs (not ADF's: those are the runs').</summary>
public static class JobStatus
{
    public const string Queued = "Queued";
    public const string Leased = "Leased";
    public const string Done = "Done";
}
