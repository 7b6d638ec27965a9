using System.Text.Json.Nodes;

namespace Ferry.Contracts.Protocol;

/// <summary>
/// The work a node is given for one activity run: the activity with its expressions evaluated, and the datasets,
/// linked services and secret stores it names (secrets only as the runtime's envelopes or store references).
/// </summary>
public sealed record JobPayload(
    Guid RunId,
    Guid ActivityRunId,
    string ActivityName,
    string ActivityType,
    JsonObject Activity,
    JsonObject? SourceDataset,
    JsonObject? SourceLinkedService,
    JsonObject? SinkDataset,
    JsonObject? SinkLinkedService,
    JsonObject? SecretStores,
    string EffectiveIntegrationRuntime,
    CopySplit? Split = null);

/// <summary>
/// One step of a copy split over the runtime's nodes. <c>plan</c> reads the source's extent and answers the parts;
/// each <c>part</c> copies its range or files into the sink's staging (a table or hidden files keyed on the activity
/// run, replaced whole by a later attempt of the same part); <c>commit</c> moves every part into place at once;
/// <c>discard</c> removes the staging of a split copy that failed. A commit carries the rows each part reported
/// (<see cref="PartRows"/>), which it checks against what it finds staged.
/// </summary>
public sealed record CopySplit(string Step, int Part = 0, int Parts = 0, string? Condition = null, IReadOnlyList<string>? Files = null,
    IReadOnlyList<long>? PartRows = null)
{
    public const string Plan = "plan";
    public const string CopyPart = "part";
    public const string Commit = "commit";
    public const string Discard = "discard";
}

/// <summary>A node asking for work, saying how many more jobs it may run now.</summary>
public sealed record JobPollRequest(int FreeSlots);

/// <summary>
/// A leased job. <see cref="Epoch"/> is the fencing token: every renew and the completion must present it, and the
/// server refuses a stale one, so a node whose lease lapsed can neither report nor commit.
/// </summary>
public sealed record JobLease(Guid JobId, int Epoch, int LeaseSeconds, int RenewSeconds, JobPayload Payload);

/// <summary>Renewing a lease, with the copy's progress so far.</summary>
public sealed record JobRenewRequest(int Epoch, JsonObject? Progress = null);

/// <summary>Whether the user cancelled the run: the node stops the copy and leaves nothing half-written.</summary>
public sealed record JobRenewResponse(bool Cancel);

/// <summary>ADF's activity error shape.</summary>
public sealed record ActivityError(string ErrorCode, string Message, string FailureType = "UserError", string? Target = null);

/// <summary>The end of a job: succeeded with the activity's output, or failed with its error (and what it had done).</summary>
public sealed record JobCompleteRequest(int Epoch, bool Succeeded, JsonObject? Output = null, ActivityError? Error = null, bool Cancelled = false);
